/** Prometheus metrics of one sync service (own registry, so several services in one process do not collide). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface SyncMetrics {
  readonly registry: Registry;
  readonly peersConnected: Gauge;
  readonly peersExpected: Gauge;
  readonly peers: Gauge<'state'>;
  readonly candidates: Gauge<'via'>;
  readonly handshakes: Counter<'role' | 'result'>;
  readonly handshakeSeconds: Histogram<'role'>;
  readonly rejectedRequests: Counter<'reason' | 'route'>;
  readonly droppedMessages: Counter<'reason' | 'source'>;
  readonly discoveryErrors: Counter<'via'>;
  readonly heartbeatFailures: Counter;
  readonly configAgreementOk: Gauge;
  readonly configOddOneOut: Gauge;
  readonly peerClockSkewSeconds: Gauge<'peer'>;
  readonly maxClockSkewSeconds: Gauge;
  readonly appBuildKnown: Gauge;
  readonly appBuildAgreementOk: Gauge;
  readonly databaseSharedWithPeers: Gauge;
  readonly databaseTopologyRefused: Gauge;
  readonly databaseReplicated: Gauge;
}

export function createSyncMetrics(options: { collectProcessMetrics: boolean }): SyncMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'msk_sync_' });
  const registers = [registry];
  return {
    registry,
    peersConnected: new Gauge({
      name: 'msk_sync_peers_connected',
      help: 'Peers that passed the handshake and are connected',
      registers,
    }),
    peersExpected: new Gauge({
      name: 'msk_sync_peers_expected',
      help: 'Peers this node knows of and should be connected to: connected ones plus every discovered address that is not (yet) connected',
      registers,
    }),
    peers: new Gauge({
      name: 'msk_sync_peers',
      help: 'Known peers by state: authenticated, connecting, unreachable, refused, disconnected, discovered',
      labelNames: ['state'],
      registers,
    }),
    candidates: new Gauge({
      name: 'msk_sync_discovered_addresses',
      help: 'Addresses proposed by discovery',
      labelNames: ['via'],
      registers,
    }),
    handshakes: new Counter({
      name: 'msk_sync_handshakes_total',
      help: 'Handshakes by role (initiator/responder) and result (accepted or the refusal reason)',
      labelNames: ['role', 'result'],
      registers,
    }),
    handshakeSeconds: new Histogram({
      name: 'msk_sync_handshake_duration_seconds',
      help: 'Time of a completed handshake',
      labelNames: ['role'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    rejectedRequests: new Counter({
      name: 'msk_sync_rejected_requests_total',
      help: 'Requests refused before a handler ran (bad signature, replay, stale, malformed, too large)',
      labelNames: ['reason', 'route'],
      registers,
    }),
    droppedMessages: new Counter({
      name: 'msk_sync_dropped_messages_total',
      help: 'Messages from peers or discovery that failed validation and were dropped',
      labelNames: ['reason', 'source'],
      registers,
    }),
    discoveryErrors: new Counter({
      name: 'msk_sync_discovery_errors_total',
      help: 'Discovery failures',
      labelNames: ['via'],
      registers,
    }),
    heartbeatFailures: new Counter({
      name: 'msk_sync_heartbeat_failures_total',
      help: 'Heartbeats to peers that failed',
      registers,
    }),
    configAgreementOk: new Gauge({
      name: 'msk_sync_config_agreement_ok',
      help: '1 when every connected peer has the same shared configuration',
      registers,
    }),
    configOddOneOut: new Gauge({
      name: 'msk_sync_config_odd_one_out',
      help: '1 when this node is the odd one out of a configuration disagreement',
      registers,
    }),
    peerClockSkewSeconds: new Gauge({
      name: 'msk_sync_peer_clock_skew_seconds',
      help: "Clock of each connected peer minus this node's clock",
      labelNames: ['peer'],
      registers,
    }),
    maxClockSkewSeconds: new Gauge({
      name: 'msk_sync_max_clock_skew_seconds',
      help: 'SYNC_MAX_CLOCK_SKEW_MS in seconds: a peer whose clock is further off is refused',
      registers,
    }),
    appBuildKnown: new Gauge({
      name: 'msk_sync_app_build_known',
      help: '1 when the app beside this service told it its build (GET /api/build)',
      registers,
    }),
    appBuildAgreementOk: new Gauge({
      name: 'msk_sync_app_build_agreement_ok',
      help: '0 when a connected peer runs another app build (build ID or Server Actions key): build once, run the same image everywhere',
      registers,
    }),
    databaseSharedWithPeers: new Gauge({
      name: 'msk_sync_database_shared_with_peers',
      help: "Connected peers whose database is this node's own (by PostgreSQL system identifier and database OID)",
      registers,
    }),
    databaseTopologyRefused: new Gauge({
      name: 'msk_sync_database_topology_refused',
      help: "1 when this node's database does not fit DATABASE_TOPOLOGY and the peers' (a mix of shared and own databases): its readiness fails",
      registers,
    }),
    databaseReplicated: new Gauge({
      name: 'msk_sync_database_replicated',
      help: '1 when this node replicates its database (DATABASE_TOPOLOGY=per-node), 0 when the nodes share one database',
      registers,
    }),
  };
}
