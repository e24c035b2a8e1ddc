/**
 * The first admin, made on the first start against an empty users table: from ADMIN_EMAIL/ADMIN_PASSWORD, or with
 * a password derived from the cluster's secret that the caller prints once. Every node makes the same row (see
 * firstAdminRow), so a fresh cluster of any size ends with exactly one first admin.
 */
import bcrypt from 'bcrypt';
import type { Pool } from 'pg';
import { derivedAdminPassword, firstAdminId, firstAdminSalt } from './firstAdminRow';

export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';
export const FIRST_ADMIN_NAME = 'Administrator';
const FIRST_ADMIN_LOCK_KEY = '7209468131352027462';

export type FirstAdminResult =
  | { readonly created: false }
  | {
      readonly created: true;
      readonly id: string;
      readonly email: string;
      readonly generatedPassword: string | undefined;
    };

export interface FirstAdminSettings {
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** NEXTAUTH_SECRET: the value every node shares, from which the row is derived. */
  readonly clusterSecret: string;
}

export async function ensureFirstAdmin(pool: Pool, settings: FirstAdminSettings): Promise<FirstAdminResult> {
  const email = (settings.adminEmail || DEFAULT_ADMIN_EMAIL).toLowerCase();
  const generatedPassword = settings.adminPassword ? undefined : derivedAdminPassword(settings.clusterSecret, email);
  const password = settings.adminPassword || (generatedPassword as string);
  const id = firstAdminId(settings.clusterSecret, email);
  const passwordHash = await bcrypt.hash(password, firstAdminSalt(settings.clusterSecret, email));
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
      "INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, 'admin') ON CONFLICT (id) DO NOTHING",
      [id, email, FIRST_ADMIN_NAME, passwordHash],
    );
    await client.query('COMMIT');
    return { created: true, id, email, generatedPassword };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
