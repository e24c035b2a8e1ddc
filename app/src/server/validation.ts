/**
 * Turning zod's findings into what a person or an integration can act on: one message per field, keyed by the
 * field's name as it appears in the request ("contactEmail", not a path array).
 */
import { z, type ZodError } from 'zod';

export type FieldErrors = Record<string, string>;

/** The request body itself (not one of its fields), e.g. "expected an object". */
export const BODY_FIELD = '(body)';

export function fieldErrors(error: ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors[key] ??= 'is not a field of this resource';
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : BODY_FIELD;
    errors[field] ??= issue.message;
  }
  return errors;
}

export function describeFieldErrors(errors: FieldErrors): string {
  return Object.entries(errors)
    .map(([field, message]) => `${field} ${message}`)
    .join('; ');
}

/** PATCH: any subset of the fields, at least one (unknown fields refused). */
export function patchOf<F extends z.core.$ZodLooseShape>(fields: F) {
  return z
    .strictObject(fields, { error: 'must be a JSON object' })
    .partial()
    .refine((patch) => Object.keys(patch).length > 0, { error: 'must contain at least one field to change' });
}

// Shared field rules, with messages that read after the field name ("name must not be empty").
export const requiredText = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/** Optional text: absent, null or blank all mean "none" (stored as NULL). */
export const optionalText = (max: number) =>
  z
    .string({ error: 'must be a string or null' })
    .trim()
    .max(max, { error: `must be at most ${max} characters` })
    .nullish()
    .transform((value) => (value ? value : null));

export const emailAddress = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .pipe(
    z
      .email({ error: 'must be an email address such as ada@example.com' })
      .max(254, { error: 'must be at most 254 characters' }),
  );

export const optionalEmailAddress = z
  .string({ error: 'must be an email address or null' })
  .trim()
  .toLowerCase()
  .nullish()
  .transform((value) => (value ? value : null))
  .pipe(z.email({ error: 'must be an email address such as ada@example.com' }).max(254).nullable());
