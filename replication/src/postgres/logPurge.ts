/**
 * Purge of the change log: tombstones older than the retention that every known peer has acknowledged are
 * deleted, and the purge horizon (readers behind it must load a snapshot) moves past them.
 */
import type { Cursor } from '../core/protocol';
import { compareCursors } from '../core/protocol';
import type { PurgeOutcome, PurgeRequest } from '../store/replicationStore';
import { LOG } from './logRows';
import type { PeerCursors } from './peerCursors';
import { SYNC_SCHEMA } from './sql';
import type { StoreContext } from './storeContext';

export async function purgeChangeLog(
  context: StoreContext,
  peers: PeerCursors,
  request: PurgeRequest,
): Promise<PurgeOutcome> {
  if (request.knownPeers.length === 0) return { purged: 0, purgedUpTo: context.purgedUpTo };
  const progress = new Map((await peers.peerProgress()).map((peer) => [peer.peerId, peer]));
  let horizon: Cursor | null = null;
  for (const peerId of request.knownPeers) {
    const acknowledged = progress.get(peerId)?.acknowledged ?? null;
    if (acknowledged === null) return { purged: 0, purgedUpTo: context.purgedUpTo };
    if (horizon === null || compareCursors(acknowledged, horizon) < 0) horizon = acknowledged;
  }
  const cutoffMs = (request.nowMs ?? context.getNowMs()) - request.retentionMs;
  const cutoffHex = Math.max(0, Math.floor(cutoffMs)).toString(16).padStart(12, '0');
  const client = await context.pool.connect();
  try {
    await client.query('BEGIN');
    const result = await client.query<{ xid: string; seq: string; purged: number }>(
      `WITH gone AS (
         DELETE FROM ${LOG}
         WHERE deleted_hlc IS NOT NULL AND deleted_hlc = max_hlc
           AND (xid, seq) <= ($1::xid8, $2::bigint) AND left(deleted_hlc, 12) < $3
         RETURNING xid, seq)
       SELECT (SELECT count(*) FROM gone)::int AS purged, top.xid::text AS xid, top.seq::text AS seq
       FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT xid, seq FROM gone ORDER BY xid DESC, seq DESC LIMIT 1) top ON true`,
      [horizon!.xid, horizon!.seq, cutoffHex],
    );
    const row = result.rows[0]!;
    if (row.purged > 0) {
      const position = { xid: row.xid, seq: row.seq };
      if (context.purgedUpTo === null || compareCursors(position, context.purgedUpTo) > 0) {
        await client.query(
          `UPDATE ${SYNC_SCHEMA}.node SET purged_up_to_xid = $1::xid8, purged_up_to_seq = $2::bigint`,
          [position.xid, position.seq],
        );
        context.purgedUpTo = position;
      }
    }
    await client.query('COMMIT');
    return { purged: row.purged, purgedUpTo: context.purgedUpTo };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
