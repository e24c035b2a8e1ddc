/**
 * Field Desk's settings, read from the environment in this one place and checked once. The names are Auth.js v5's
 * (AUTH_SECRET, AUTH_URL): the kit's contract knows them as NEXTAUTH_SECRET and NEXTAUTH_URL. A bad value is named
 * with its rule; a value itself is never printed (it may be a secret).
 */
import { z } from 'zod';

const settingsSchema = z.object({
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters (every node must have the same one)'),
  AUTH_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL users open, e.g. http://desk.example:8080' }),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  DESK_SEED_EMAIL: z.email('must be an email address').optional(),
  DESK_SEED_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
});

export interface DeskSettings {
  readonly authSecret: string;
  readonly authUrl: string;
  readonly databaseUrl: string;
  /** The first user, created at start if no user has this email. */
  readonly seedUser: { email: string; password: string } | undefined;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

let cached: DeskSettings | undefined;

export function deskSettings(env: Readonly<Record<string, string | undefined>> = process.env): DeskSettings {
  if (cached && env === process.env) return cached;
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `${issue.path.join('.') || 'environment'}: ${issue.code === 'invalid_type' ? 'is required' : issue.message}`,
    );
    throw new SettingsError(`Field Desk cannot start; fix its environment:\n  ${problems.join('\n  ')}`);
  }
  const values = parsed.data;
  if (values.DESK_SEED_EMAIL && !values.DESK_SEED_PASSWORD) {
    throw new SettingsError(
      'Field Desk cannot start; fix its environment:\n  DESK_SEED_PASSWORD: is required when DESK_SEED_EMAIL is set',
    );
  }
  const settings: DeskSettings = {
    authSecret: values.AUTH_SECRET,
    authUrl: values.AUTH_URL.replace(/\/+$/, ''),
    databaseUrl: values.DATABASE_URL,
    seedUser:
      values.DESK_SEED_EMAIL && values.DESK_SEED_PASSWORD
        ? { email: values.DESK_SEED_EMAIL.toLowerCase(), password: values.DESK_SEED_PASSWORD }
        : undefined,
  };
  if (env === process.env) {
    cached = settings;
    // next-auth v4 finds its own public URL only under NEXTAUTH_URL (redirects, callback URLs): hand it ours.
    process.env.NEXTAUTH_URL = settings.authUrl;
  }
  return settings;
}
