/** The routes every sync service has besides the handshake: operators' (health, readiness, status, metrics) and peers'. */
import type { z } from 'zod';
import { APP_BUILD_VARIABLE } from '../core/appBuild';
import { PATHS, goodbyeSchema, heartbeatSchema, parseMessage } from '../core/peerProtocol';
import type { AuthState, SyncStatus } from '../status/statusModel';
import type { Route, RouteRequest, RouteResponse } from '../transport/peerServer';
import type { PeerConnector } from './peerConnector';
import type { ServiceContext } from './serviceContext';

const PEER_STATES: readonly AuthState[] = [
  'authenticated',
  'connecting',
  'unreachable',
  'refused',
  'disconnected',
  'discovered',
];

/** Sets the gauges that mirror the status document; called before every scrape. */
export function refreshGauges(ctx: ServiceContext, current: SyncStatus): void {
  const { metrics, registry } = ctx;
  metrics.peersConnected.set(current.peersConnected);
  metrics.peersExpected.set(current.peers.length);
  for (const state of PEER_STATES)
    metrics.peers.set({ state }, current.peers.filter((p) => p.authState === state).length);
  metrics.maxClockSkewSeconds.set(ctx.config.syncMaxClockSkewMs / 1000);
  metrics.configAgreementOk.set(current.agreement.ok ? 1 : 0);
  metrics.configOddOneOut.set(current.agreement.oddOneOut ? 1 : 0);
  metrics.appBuildKnown.set(current.appBuild.build ? 1 : 0);
  metrics.appBuildAgreementOk.set(current.agreement.mismatches.some((m) => m.variable === APP_BUILD_VARIABLE) ? 0 : 1);
  metrics.databaseSharedWithPeers.set(current.database?.sharedWith.length ?? 0);
  metrics.databaseTopologyRefused.set(current.database?.thisNodeRefused ? 1 : 0);
  metrics.databaseReplicated.set(current.database?.replication === false ? 0 : 1);
  metrics.candidates.reset();
  for (const c of registry.candidates.values()) for (const via of c.via) metrics.candidates.inc({ via });
  metrics.peerClockSkewSeconds.reset();
  for (const node of registry.connectedNodes()) {
    if (node.clockSkewMs !== null)
      metrics.peerClockSkewSeconds.set({ peer: node.identity.name }, node.clockSkewMs / 1000);
  }
}

export function createOperatorRoutes(ctx: ServiceContext, status: () => SyncStatus): Route[] {
  const { self, metrics } = ctx;
  return [
    {
      method: 'GET',
      path: '/health',
      access: 'open',
      hostPlaintext: true,
      handle: () => ({ status: 200, json: { status: 'ok', node: { id: self.id, name: self.name } } }),
    },
    {
      method: 'GET',
      path: '/ready',
      access: 'open',
      hostPlaintext: true,
      handle: () => {
        const { ready } = status();
        return { status: ready.ok ? 200 : 503, json: ready };
      },
    },
    {
      // Loopback clients (the app's /api/ready, service:status) need no credentials; anyone else signs as a peer.
      method: 'GET',
      path: '/status',
      access: 'loopback-or-peer',
      hostPlaintext: true,
      handle: () => {
        const current = status();
        refreshGauges(ctx, current);
        return { status: 200, json: current };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      access: 'open',
      hostPlaintext: true,
      handle: async () => {
        refreshGauges(ctx, status());
        return { status: 200, text: await metrics.registry.metrics(), contentType: metrics.registry.contentType };
      },
    },
  ];
}

export function createPeerRoutes(ctx: ServiceContext, connector: PeerConnector): Route[] {
  const { metrics, logger, now } = ctx;
  /** A small peer message: a malformed one is counted and answered 400, a valid one answered. */
  const messageRoute = (
    path: string,
    schema: z.ZodType,
    source: string,
    answer: (request: RouteRequest) => RouteResponse,
  ): Route => ({
    method: 'POST',
    path,
    access: 'peer',
    maxBodyBytes: 1024,
    handle: (request) => {
      if (!parseMessage(schema, request.json).ok) {
        metrics.droppedMessages.inc({ reason: 'malformed', source });
        return { status: 400, json: { error: 'malformed' } };
      }
      return answer(request);
    },
  });
  return [
    messageRoute(PATHS.heartbeat, heartbeatSchema, 'heartbeat', () => ({ status: 200, json: { timeMs: now() } })),
    messageRoute(PATHS.goodbye, goodbyeSchema, 'goodbye', (request) => {
      const peerId = (request.peer as { peerId: string }).peerId;
      logger.info({ peerId }, 'peer said goodbye');
      connector.peerSaidGoodbye(peerId);
      return { status: 200, json: { ok: true } };
    }),
  ];
}
