/** The periodic purge of the change log: tombstones every known peer acknowledged, once they are old enough. */
import type { PostgresReplicationStore } from '@msk/replication';
import type { SyncServiceApi } from '../service/plugin';
import type { ReplicationMetrics } from './replicationMetrics';

/** How often acknowledged tombstones are purged from the change log. */
export const PURGE_INTERVAL_MS = 10 * 60_000;
/** Tombstones are kept at least this long, even when every known peer acknowledged them. */
export const PURGE_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** The peers known are those with a stored cursor and those connected now. Null: the purge failed (logged). */
export async function purgeTombstones(
  store: PostgresReplicationStore,
  api: SyncServiceApi,
  metrics: ReplicationMetrics,
): Promise<{ at: string; purged: number } | null> {
  try {
    const knownPeers = [
      ...new Set([
        ...(await store.peerProgress()).map((peer) => peer.peerId),
        ...api.connectedPeers().map((peer) => peer.id),
      ]),
    ];
    const outcome = await store.purge({ knownPeers, retentionMs: PURGE_RETENTION_MS });
    metrics.purgedStates.inc(outcome.purged);
    if (outcome.purged > 0)
      api.logger.info({ purged: outcome.purged, knownPeers: knownPeers.length }, 'purged acknowledged tombstones');
    return { at: new Date(api.now()).toISOString(), purged: outcome.purged };
  } catch (error) {
    api.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'purge failed');
    return null;
  }
}
