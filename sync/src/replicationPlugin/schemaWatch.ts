/**
 * Noticing a migration while the sync service runs: every SCHEMA_CHECK_INTERVAL_MS the replicated tables are read
 * again from the catalog and their schema version compared with the one the store was opened with. A difference
 * (a column added or removed, a type changed) makes replication re-open its store: capture is installed again
 * with the live columns and the row states learn what changed (install.ts), without a restart of the service.
 */
import type { Pool } from 'pg';
import { ReplicationSetupError, introspectTables, schemaVersionOf } from '@msk/replication';

/** How often the live schema is compared with the store's. */
export const SCHEMA_CHECK_INTERVAL_MS = 1_000;

export type LiveSchema =
  | { readonly kind: 'version'; readonly schemaVersion: string }
  /** The tables can't be replicated as they are now (e.g. a migration dropped one, or added a serial key). */
  | { readonly kind: 'problem'; readonly message: string };

/**
 * One cheap catalog query per check: the tables' columns, types, constraints and indexes as text. Only when it
 * moved are the tables introspected again (six queries) for their schema version.
 */
export const SHAPE_FINGERPRINT_SQL = `
  SELECT coalesce(string_agg(c.relname::text || '(' || (
           SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attgenerated::text, ',' ORDER BY a.attnum)
           FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         ) || ')[' || coalesce((SELECT string_agg(con.conname, ',' ORDER BY con.conname) FROM pg_constraint con WHERE con.conrelid = c.oid), '')
           || '][' || coalesce((SELECT string_agg(i.indexrelid::regclass::text, ',' ORDER BY i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid), '') || ']',
         ';' ORDER BY c.relname), '') AS shape
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])`;

export class LiveSchemaWatch {
  private lastShape: string | null = null;
  private last: LiveSchema | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly tables: readonly string[],
  ) {}

  async read(): Promise<LiveSchema> {
    const { rows } = await this.pool.query<{ shape: string }>(SHAPE_FINGERPRINT_SQL, [this.tables]);
    const shape = rows[0]?.shape ?? '';
    if (this.last && shape === this.lastShape) return this.last;
    let live: LiveSchema;
    try {
      live = { kind: 'version', schemaVersion: schemaVersionOf(await introspectTables(this.pool, this.tables)) };
    } catch (error) {
      if (!(error instanceof ReplicationSetupError)) throw error;
      live = { kind: 'problem', message: error.message };
    }
    this.lastShape = shape;
    this.last = live;
    return live;
  }
}
