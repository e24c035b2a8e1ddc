/**
 * The routes replication answers on the peers' authenticated channel: pull (the changes after a cursor), snapshot
 * (a peer's initial load; snapshot-page, the same in bounded pages) and poke (a peer committed; a push carries the changes). Pull and snapshot answer from the
 * open store, and "not ready" until replication runs.
 */
import {
  type ChangePusher,
  MAX_PUSH_BYTES,
  type PostgresReplicationStore,
  answerPull,
  answerSnapshot,
  answerSnapshotPage,
  pullRequestSchema,
} from '@msk/replication';
import type { PeerRoute, PeerRouteRequest, SyncServiceApi } from '../service/plugin';
import { REPLICATION_ROUTES } from './channelTransport';
import type { PeerPullers } from './peerPullers';
import type { ReplicationState } from './replicationStatus';
import { isFromAnotherDatabase, pullFromStart } from './sourceRewind';

/** Largest pull/snapshot request body (they are small JSON objects). */
export const REQUEST_BODY_LIMIT_BYTES = 16 * 1024;
/** Largest snapshot-page request body (a small JSON object). */
export const SNAPSHOT_PAGE_REQUEST_LIMIT_BYTES = 4 * 1024;

/** What the routes read from the plugin at each request: the store and the pullers change when it re-opens. */
export interface ReplicationRoutesHost {
  readonly api: SyncServiceApi;
  state(): ReplicationState;
  store(): PostgresReplicationStore | undefined;
  pullers(): PeerPullers | undefined;
  pusher(): ChangePusher | undefined;
}

type RouteAnswer = { status: number; json?: unknown };

export function replicationRoutes(host: ReplicationRoutesHost): PeerRoute[] {
  const api = host.api;
  /** Peers told once that they pull from a position this database never reached. */
  const rewoundPeers = new Set<string>();
  const notReady = (): RouteAnswer => {
    const state = host.state();
    return {
      status: 503,
      json: {
        error: 'not-ready',
        message: `replication on ${api.self.name} is ${state}${state === 'waiting-for-schema' ? ' (the app has not created its tables yet)' : state === 'refused' ? ' (its tables do not fit replication: see its status)' : ''}`,
      },
    };
  };
  const storeRoute = (
    path: string,
    answer: (request: PeerRouteRequest, store: PostgresReplicationStore) => Promise<RouteAnswer>,
    maxBodyBytes = REQUEST_BODY_LIMIT_BYTES,
  ): PeerRoute => ({
    method: 'POST',
    path,
    maxBodyBytes,
    handle: (request) => {
      const store = host.store();
      return host.state() !== 'running' || !store ? notReady() : answer(request, store);
    },
  });
  return [
    storeRoute(REPLICATION_ROUTES.pull, async (request, store) => {
      let body = request.json;
      const parsed = pullRequestSchema.safeParse(body);
      if (parsed.success && isFromAnotherDatabase(parsed.data.cursor, await store.headCursor())) {
        if (!rewoundPeers.has(request.peerId)) {
          rewoundPeers.add(request.peerId);
          api.logger.warn(
            { peer: request.peerId, cursor: parsed.data.cursor },
            'a peer pulls from a position this database never reached (this database was replaced): answering from the start of the log',
          );
        }
        body = pullFromStart(parsed.data);
      }
      const answer = await answerPull(store, body, request.peerId);
      host.pusher()?.served(request.peerId, answer);
      return { status: answer.type === 'bad-request' ? 400 : 200, json: answer };
    }),
    storeRoute(REPLICATION_ROUTES.snapshot, async (request, store) => {
      const answer = await answerSnapshot(store, request.json, request.peerId);
      return { status: answer.type === 'bad-request' ? 400 : 200, json: answer };
    }),
    storeRoute(
      REPLICATION_ROUTES.snapshotPage,
      async (request, store) => {
        // each page is one statement on this side and a bounded answer: no load holds a transaction open here
        const answer = await answerSnapshotPage(store, request.json, request.peerId);
        return { status: answer.type === 'bad-request' ? 400 : 200, json: answer };
      },
      SNAPSHOT_PAGE_REQUEST_LIMIT_BYTES,
    ),
    {
      method: 'POST',
      path: REPLICATION_ROUTES.poke,
      maxBodyBytes: MAX_PUSH_BYTES + 4096,
      handle: async (request) => {
        const pullers = host.pullers();
        if (!pullers) return { status: 200, json: { pulling: false, applied: false } };
        const body = request.json as { type?: unknown } | null;
        // a push is applied when it starts at our cursor; otherwise, like a plain poke, it makes us pull
        if (body?.type === 'push')
          return { status: 200, json: { pulling: true, applied: await pullers.offer(request.peerId, body) } };
        return { status: 200, json: { pulling: pullers.poke(request.peerId), applied: false } };
      },
    },
  ];
}
