/**
 * Shared-database mode (DATABASE_TOPOLOGY=shared): nothing of replication may stay installed on the one database,
 * because capture triggers cost every write of the app and their log would grow with no peer to purge it.
 *
 * Drops every function of schema msk_sync with CASCADE, which also drops the capture triggers on the app's tables
 * (they depend on those functions; PostgreSQL checks the right to drop only on the named object, so the owner of
 * msk_sync may do this without owning the app's tables, where a plain DROP TRIGGER would need the table's owner),
 * then every table, view and sequence of msk_sync: the change log, cursors and the node row. The schema itself
 * stays (the database setup made it, owned by msk_sync). Going back to per-node later starts the database as a new
 * node: it backfills its rows and loads the peers' (docs/database-topology.md). Idempotent; several nodes running
 * it at once take turns on the store's lock.
 */
import type { Pool } from 'pg';
import { APPLY_LOCK_KEY, SYNC_SCHEMA } from './sql';

export interface CaptureRemoval {
  /** Capture triggers on tables outside msk_sync that were dropped. */
  readonly triggers: number;
  /** Functions and relations of msk_sync that were dropped. */
  readonly objects: number;
}

const TRIGGERS_SQL = `SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '${SYNC_SCHEMA}' AND NOT t.tgisinternal`;

const OBJECTS_SQL = `SELECT (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '${SYNC_SCHEMA}')::int
  + (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${SYNC_SCHEMA}' AND c.relkind IN ('r', 'p', 'v', 'm'))::int AS n`;

const DROP_SQL = `DO $remove$
DECLARE item record;
BEGIN
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = '${SYNC_SCHEMA}' LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.name);
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = '${SYNC_SCHEMA}' AND c.relkind IN ('v', 'm') LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE', CASE item.relkind WHEN 'v' THEN 'VIEW' ELSE 'MATERIALIZED VIEW' END, item.name);
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = '${SYNC_SCHEMA}' AND c.relkind IN ('r', 'p') AND NOT c.relispartition LOOP
    EXECUTE format('DROP TABLE IF EXISTS %s CASCADE', item.name);
  END LOOP;
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = '${SYNC_SCHEMA}' AND c.relkind = 'S' LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %s CASCADE', item.name);
  END LOOP;
END
$remove$`;

export async function removeCapture(pool: Pool): Promise<CaptureRemoval> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [APPLY_LOCK_KEY]);
    const triggers = (await client.query<{ n: number }>(TRIGGERS_SQL)).rows[0]?.n ?? 0;
    const objects = (await client.query<{ n: number }>(OBJECTS_SQL)).rows[0]?.n ?? 0;
    if (triggers + objects > 0) await client.query(DROP_SQL);
    await client.query('COMMIT');
    return { triggers, objects };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
