/**
 * Applies the SQL files of app/migrations at start: in order, each in its own transaction together with its
 * row in schema_migrations, under a PostgreSQL advisory lock so two processes on one database never race.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { type AppliedMigration, type Migration, orderedMigrations, pendingMigrations } from './migrationPlan';

/** Arbitrary, fixed: identifies "app schema migrations" among the advisory locks of this database. */
export const MIGRATION_LOCK_KEY = '7209468131352027461';

/**
 * The migrations folder: next to server.js in the standalone output (the build copies it there, and server.js
 * changes into its own folder), or app/migrations under `next dev`.
 */
export function migrationsDirectory(): string {
  return join(process.cwd(), 'migrations');
}

export async function readMigrations(directory = migrationsDirectory()): Promise<Migration[]> {
  // turbopackIgnore: the build copies migrations/ next to server.js itself; tracing a runtime path would pull
  // the whole project into the standalone output.
  const names = (await readdir(/* turbopackIgnore: true */ directory)).filter((name) => name.endsWith('.sql'));
  const files = await Promise.all(
    names.map(async (fileName) => ({
      fileName,
      sql: await readFile(join(/* turbopackIgnore: true */ directory, fileName), 'utf8'),
    })),
  );
  return orderedMigrations(files);
}

const CREATE_SCHEMA_MIGRATIONS = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

async function appliedMigrations(client: PoolClient | Pool): Promise<AppliedMigration[]> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return [];
  const { rows } = await client.query<AppliedMigration>(
    'SELECT version, checksum FROM schema_migrations ORDER BY version',
  );
  return rows;
}

/** Applies what is pending and returns the file names applied (empty when the schema was up to date). */
export async function applyMigrations(pool: Pool, migrations: readonly Migration[]): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(CREATE_SCHEMA_MIGRATIONS);
      const pending = pendingMigrations(migrations, await appliedMigrations(client));
      for (const migration of pending) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`migration ${migration.fileName} failed and was rolled back: ${reason}`, { cause: error });
        }
      }
      return pending.map((m) => m.fileName);
    } finally {
      // A failed unlock means the connection is gone, and with it the session's lock.
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/** File names of migrations not applied yet; throws MigrationError when the database does not fit this build. */
export async function pendingMigrationNames(pool: Pool, migrations: readonly Migration[]): Promise<string[]> {
  return pendingMigrations(migrations, await appliedMigrations(pool)).map((m) => m.fileName);
}
