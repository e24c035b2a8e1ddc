/**
 * Runs the SQL files of migrations/ (beside server.js) that this database has not had yet, in name order, each in
 * its own transaction, under an advisory lock so two processes on one database never run one twice. The app's own
 * role (DATABASE_URL) owns what they create.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pool } from './database';

const MIGRATIONS_DIR = join(process.cwd(), 'migrations');
const LOCK_KEY = 0x6465736b; // "desk"

export async function migrate(log: (line: string) => void): Promise<void> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((name) => /^\d+_[\w-]+\.sql$/.test(name))
    .sort();
  const client = await pool().connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS desk_schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = new Set(
      (await client.query<{ name: string }>('SELECT name FROM desk_schema_migrations')).rows.map((row) => row.name),
    );
    for (const name of files.filter((file) => !applied.has(file))) {
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'));
        await client.query('INSERT INTO desk_schema_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      log(`applied migration ${name}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
