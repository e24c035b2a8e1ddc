/**
 * Whether this node's initial load is still to come, read from its database BEFORE the replication store opens
 * (while replication waits for the app's tables, and while it installs): without it a wiped node would look ready
 * until the store opened. The store's own reading replaces this one once it runs (replicationPlugin.openAndRun).
 */
import type { ClientBase, Pool } from 'pg';
import { Client } from 'pg';
import { SCHEMA_PROBE_TIMEOUT_MS } from './schemaWait';
import type { InitialLoadView } from './loadingReplicator';

const NOTHING_LOADED = { fence: null, pages: 0, rowsReceived: 0, rowsApplied: 0, startedAtMs: null } as const;

/** due: nothing applied from any peer yet; catching-up: a load cut short; none; undefined: the database did not answer. */
export async function readStoredLoadState(connectionString: string): Promise<InitialLoadView | undefined> {
  const client = new Client({ connectionString, connectionTimeoutMillis: SCHEMA_PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const installed = await client.query<{ peer: string | null; load: string | null }>(
      "SELECT to_regclass('msk_sync.peer')::text AS peer, to_regclass('msk_sync.initial_load')::text AS load",
    );
    const tables = installed.rows[0];
    if (!tables?.peer) return { phase: 'due', sourcePeerId: null, ...NOTHING_LOADED };
    if (tables.load) {
      const load = await client.query<{ source_node_id: string; fence: string; started_at: Date }>(
        'SELECT source_node_id, fence::text AS fence, started_at FROM msk_sync.initial_load',
      );
      const row = load.rows[0];
      if (row)
        return {
          ...NOTHING_LOADED,
          phase: 'catching-up',
          sourcePeerId: row.source_node_id,
          fence: row.fence,
          startedAtMs: row.started_at.getTime(),
        };
    }
    const applied = await client.query<{ applied: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM msk_sync.peer WHERE cursor_xid IS NOT NULL) AS applied',
    );
    if (applied.rows[0]?.applied) return { phase: 'none', sourcePeerId: null, ...NOTHING_LOADED };
    return { phase: 'due', sourcePeerId: null, ...NOTHING_LOADED, heldData: await holdsReplicatedRows(client) };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether the logs hold any row: every replicated row has its change-log entry (capture backfills the rows that
 * were there before it), or its capture entry until it is folded. A node that never applied from a peer but holds
 * rows ran alone, or was restored: it has data of its own to serve while its initial load runs.
 */
export async function holdsReplicatedRows(db: Pick<ClientBase | Pool, 'query'>): Promise<boolean> {
  const result = await db.query<{ held: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM msk_sync.change_log) OR EXISTS (SELECT 1 FROM msk_sync.capture_log) AS held',
  );
  return result.rows[0]?.held ?? false;
}
