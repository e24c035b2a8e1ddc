/** Users, sign-in credentials and their rules. */
import { z } from 'zod';
import { emailAddress, patchOf, requiredText } from '../validation';
import { formText } from '../formState';

export const USER_ROLES = ['admin', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt reads only the first 72 bytes; a longer password would be silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

export const newPassword = z
  .string({ error: 'must be a string' })
  .min(MIN_PASSWORD_LENGTH, { error: `must be at least ${MIN_PASSWORD_LENGTH} characters` })
  .refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES, {
    error: `must be at most ${MAX_PASSWORD_BYTES} bytes`,
  });

const role = z.enum(USER_ROLES, { error: `must be one of ${USER_ROLES.join(', ')}` });

export const newUser = z.strictObject(
  { email: emailAddress, name: requiredText(100), password: newPassword, role: role.default('member') },
  { error: 'must be a JSON object' },
);
export type NewUser = z.output<typeof newUser>;

export const userPatch = patchOf({ name: requiredText(100), password: newPassword, role });
export type UserPatch = z.output<typeof userPatch>;

/**
 * What the sign-in form sends: a valid email address (the rule users are created with), so a row renamed by a
 * replication conflict (`…#conflict-<id>`) or any other malformed value never reaches the password check.
 */
export const signInCredentials = z.object({
  email: emailAddress,
  password: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(1024, { error: 'must be at most 1024 characters' }),
});

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function userFromForm(form: FormData): Record<string, unknown> {
  const text = (field: string) => formText(form, field);
  return { email: text('email') ?? '', name: text('name') ?? '', password: text('password') ?? '', role: text('role') };
}
