/**
 * Noticing a migration while the sync service runs: every SCHEMA_CHECK_INTERVAL_MS the replicated tables are read
 * again from the catalog and their schema version compared with the one the store was opened with. A difference
 * (a column added or removed, a type changed) makes replication re-open its store: capture is installed again
 * with the live columns and the row states learn what changed (install.ts), without a restart of the service.
 */
import type { Pool } from 'pg';
import { ReplicationSetupError, introspectTables, schemaVersionOf } from '../replication';

/** How often the live schema is compared with the store's. */
export const SCHEMA_CHECK_INTERVAL_MS = 1_000;

export type LiveSchema =
  | { readonly kind: 'version'; readonly schemaVersion: string }
  /** The tables can't be replicated as they are now (e.g. a migration dropped one, or added a serial key). */
  | { readonly kind: 'problem'; readonly message: string };

export async function liveSchema(pool: Pool, tables: readonly string[]): Promise<LiveSchema> {
  try {
    return { kind: 'version', schemaVersion: schemaVersionOf(await introspectTables(pool, tables)) };
  } catch (error) {
    if (error instanceof ReplicationSetupError) return { kind: 'problem', message: error.message };
    throw error;
  }
}
