/**
 * The source's route for a page of a peer's initial load (replication/src/core/snapshotPages.ts). Each page is one
 * statement on the source and a bounded answer, so no load holds a transaction open here nor needs a response
 * bigger than the channel's limit.
 */
import { type ReplicationStore, answerSnapshotPage } from '@msk/replication';
import type { PeerRoute } from '../service/plugin';
import { REPLICATION_ROUTES } from './channelTransport';

/** Largest page request body (a small JSON object). */
export const SNAPSHOT_PAGE_REQUEST_LIMIT_BYTES = 4 * 1024;

export function snapshotPageRoute(
  runningStore: () => ReplicationStore | undefined,
  notReady: () => { status: number; json: unknown },
): PeerRoute {
  return {
    method: 'POST',
    path: REPLICATION_ROUTES.snapshotPage,
    maxBodyBytes: SNAPSHOT_PAGE_REQUEST_LIMIT_BYTES,
    handle: async (request) => {
      const store = runningStore();
      if (!store) return notReady();
      const answer = await answerSnapshotPage(store, request.json, request.peerId);
      return { status: answer.type === 'bad-request' ? 400 : 200, json: answer };
    },
  };
}
