/**
 * The first admin, made on the first start against an empty users table: from ADMIN_EMAIL/ADMIN_PASSWORD, or with
 * a generated password that the caller prints once.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { hashPassword } from '../auth/passwords';
import { newId } from '../ids';

export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';
const FIRST_ADMIN_LOCK_KEY = '7209468131352027462';

export type FirstAdminResult =
  | { readonly created: false }
  | { readonly created: true; readonly email: string; readonly generatedPassword: string | undefined };

export function generatedAdminPassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function ensureFirstAdmin(
  pool: Pool,
  settings: { readonly adminEmail: string; readonly adminPassword: string },
): Promise<FirstAdminResult> {
  const email = (settings.adminEmail || DEFAULT_ADMIN_EMAIL).toLowerCase();
  const generatedPassword = settings.adminPassword ? undefined : generatedAdminPassword();
  const password = settings.adminPassword || (generatedPassword as string);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ADMIN_LOCK_KEY]);
    const { rows } = await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS any');
    if (rows[0]?.any) {
      await client.query('COMMIT');
      return { created: false };
    }
    await client.query(
      "INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, 'admin')",
      [newId(), email, 'Administrator', await hashPassword(password)],
    );
    await client.query('COMMIT');
    return { created: true, email, generatedPassword };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
