/** What a business is, as the JSON API and the forms accept it. */
import { z } from 'zod';
import { optionalEmailAddress, optionalText, patchOf, requiredText } from '../validation';
import { formText } from '../formState';

export const BUSINESS_TYPES = [
  'retail',
  'restaurant',
  'services',
  'construction',
  'healthcare',
  'manufacturing',
  'other',
] as const;
export type BusinessType = (typeof BUSINESS_TYPES)[number];

export interface Business {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly contactEmail: string | null;
  readonly contactPhone: string | null;
  readonly address: string | null;
  readonly active: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const phone = z
  .string({ error: 'must be a string or null' })
  .trim()
  .nullish()
  .transform((value) => (value ? value : null))
  .pipe(
    z
      .string()
      .regex(/^\+?[0-9][0-9 ()./-]{2,29}$/, {
        error: 'must be a phone number: digits, spaces and + ( ) . / -, 3 to 30 characters',
      })
      .nullable(),
  );

const fields = {
  name: requiredText(200),
  type: z.enum(BUSINESS_TYPES, { error: `must be one of ${BUSINESS_TYPES.join(', ')}` }),
  contactEmail: optionalEmailAddress,
  contactPhone: phone,
  address: optionalText(500),
  active: z.boolean({ error: 'must be true or false' }),
};

/** POST and PUT: a whole business; optional fields may be left out (null), `active` defaults to true. */
export const businessInput = z.strictObject(
  { ...fields, active: fields.active.default(true) },
  { error: 'must be a JSON object' },
);
export type BusinessInput = z.output<typeof businessInput>;

/** PATCH: any subset of the fields, at least one. */
export const businessPatch = patchOf(fields);
export type BusinessPatch = z.output<typeof businessPatch>;

/** A submitted HTML form as the same shape the JSON API takes (a missing checkbox means false). */
export function businessFromForm(form: FormData): Record<string, unknown> {
  const text = (field: string) => formText(form, field);
  return {
    name: text('name') ?? '',
    type: text('type') ?? '',
    contactEmail: text('contactEmail'),
    contactPhone: text('contactPhone'),
    address: text('address'),
    active: form.get('active') === 'on',
  };
}
