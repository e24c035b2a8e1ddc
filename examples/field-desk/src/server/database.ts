/** One PostgreSQL pool per server process (kept on globalThis: Next.js may load this module more than once). */
import { Pool, type PoolClient } from 'pg';
import { deskSettings } from './settings';

const POOL_KEY = Symbol.for('field-desk.pool');
type PoolHolder = { [POOL_KEY]?: Pool };

export function pool(): Pool {
  const holder = globalThis as PoolHolder;
  if (!holder[POOL_KEY]) {
    // A DATABASE_URL without a password takes it from PGPASSWORD, as every libpq client does.
    holder[POOL_KEY] = new Pool({
      connectionString: deskSettings().databaseUrl,
      max: 10,
      connectionTimeoutMillis: 5_000,
    });
  }
  return holder[POOL_KEY];
}

export async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool().connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** PostgreSQL's SQLSTATE of a failed query, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
