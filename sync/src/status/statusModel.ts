/**
 * The status document served at GET /status and printed by `service:status`: one plain object assembled here,
 * from the registry and the service's own facts. Other parts of the service (replication) extend it through
 * contributors: a contributor's node-level fields go under its name at the top level, its per-peer fields
 * under its name in each peer's row.
 */
import { type Agreement, type PeerAgreement, computeAgreement, computePeerAgreement } from '../core/agreement';
import { APP_BUILD_VARIABLE, type AppBuildIdentity, shortAppBuild } from '../core/appBuild';
import type { ConfigFingerprints } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import { type TopologyDecision, decideTopology } from '../core/databaseTopology';
import { REFUSAL_SUMMARY, type RefusalReason } from '../core/refusal';
import type { DatabaseTopology } from '@msk/contract';
import type { PeerRegistry } from '../peers/peerRegistry';

export type AuthState = 'authenticated' | 'connecting' | 'unreachable' | 'refused' | 'disconnected' | 'discovered';

export interface PeerStatus {
  name: string | null;
  id: string | null;
  address: string;
  discoveredVia: string[];
  authState: AuthState;
  /** ISO time of the last successful exchange, null if never. */
  lastSeenAt: string | null;
  /** The peer's clock minus this node's, in ms (positive: the peer is ahead); null until measured. */
  clockSkewMs: number | null;
  agreement: PeerAgreement | null;
  connectedAt: string | null;
  /** Why the last attempt failed or the peer was refused; null when connected. */
  lastError: string | null;
  refusalReason: RefusalReason | null;
  /** The build of the peer's app as it told us; null until it does. */
  appBuild: (AppBuildIdentity & { short: string }) | null;
  [contributor: string]: unknown;
}

export interface RefusedStatus {
  address: string;
  id: string | null;
  name: string | null;
  reason: RefusalReason;
  summary: string;
  message: string;
  side: 'refused-by-this-node' | 'refused-by-peer';
  firstAt: string;
  lastAt: string;
  count: number;
}

export interface IgnoredAnnouncement {
  address: string;
  id: string | null;
  name: string | null;
  reason: string;
}

export interface DiscoveryStatus {
  mode: string;
  candidates: string[];
  lastUpdateAt: string | null;
  lastError: string | null;
  ignored: IgnoredAnnouncement[];
}

/** The build of the app beside this service (learned from GET /api/build on the app, over loopback). */
export interface AppBuildStatus {
  url: string;
  build: (AppBuildIdentity & { short: string }) | null;
  /** false: the app has no build endpoint (a team's own app), so the build-once check can't run; null: no answer yet. */
  reported: boolean | null;
  lastError: string | null;
  checkedAt: string | null;
}

export interface AppBuildInput {
  readonly url: string;
  readonly build: AppBuildIdentity | null;
  /** @default null (not known) */
  readonly reported?: boolean | null;
  readonly lastError: string | null;
  readonly checkedAt: number | null;
}

/** This node's database as the sync service read it, and the topology decided with the peers' (core/databaseTopology.ts). */
export interface DatabaseStatus extends TopologyDecision {
  /** Short keyed fingerprint of this node's database (the first 8 of 32 hex characters); null until read. */
  fingerprint: string | null;
  /** Why the identity could not be read (database down?); null when it was. */
  lastError: string | null;
  /** Whether capture and replication run on this node (never with DATABASE_TOPOLOGY=shared). */
  replication: boolean;
}

export interface DatabaseInput {
  readonly declared: DatabaseTopology;
  readonly fingerprint: string | null;
  readonly lastError: string | null;
  /** What each connected peer told us of its database (absent or null: not told yet). */
  readonly peerDatabase: (peerId: string) => string | null;
}

export interface SyncStatus {
  generatedAt: string;
  service: { name: 'msk-sync'; version: string; pid: number; uptimeMs: number; tls: boolean };
  /** appPort: SYNC_HTTP_PORT, the app beside this service. */
  node: { id: string; name: string; address: string; startedAt: string; appPort: number };
  configured: boolean;
  listening: boolean;
  discovery: DiscoveryStatus;
  peersConnected: number;
  peers: PeerStatus[];
  refused: RefusedStatus[];
  agreement: Agreement;
  appBuild: AppBuildStatus;
  /** Null only when the service was started without a database (tests of the peer layer alone). */
  database: DatabaseStatus | null;
  identity: { conflict: { message: string; otherAddress: string } | null };
  ready: { ok: boolean; reasons: string[] };
  warnings: string[];
  [contributor: string]: unknown;
}

export interface StatusContributor {
  readonly name: string;
  /** The contributor's own typed document (JSON), under its name in the node's status. */
  node?(): object;
  peer?(peerId: string): object | undefined;
  /** Why this node must not count as ready because of this contributor (e.g. replication refused); empty: no reason. */
  notReady?(): readonly string[];
}

export interface StatusInput {
  readonly nowMs: number;
  readonly version: string;
  readonly pid: number;
  readonly tls: boolean;
  readonly self: NodeIdentity;
  readonly selfAddress: string;
  readonly selfConfig: ConfigFingerprints;
  readonly appPort: number;
  readonly appBuild: AppBuildInput;
  readonly database?: DatabaseInput;
  readonly listening: boolean;
  readonly registry: PeerRegistry;
  readonly discovery: DiscoveryStatus;
  readonly warnings: readonly string[];
  readonly contributors: readonly StatusContributor[];
}

const iso = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();

export function computeNodeAgreement(
  input: Pick<StatusInput, 'self' | 'selfAddress' | 'selfConfig' | 'registry'> & { appBuild?: AppBuildInput },
): Agreement {
  return computeAgreement(
    {
      id: input.self.id,
      name: input.self.name,
      address: input.selfAddress,
      startedAt: input.self.startedAt,
      config: input.selfConfig,
      build: input.appBuild?.build ?? null,
    },
    input.registry.connectedNodes().map((n) => ({
      id: n.identity.id,
      name: n.identity.name,
      address: n.address,
      startedAt: n.identity.startedAt,
      config: n.config,
      build: n.appBuild,
    })),
  );
}

function databaseStatus(input: StatusInput): DatabaseStatus {
  const db = input.database as DatabaseInput;
  const decision = decideTopology({
    declared: db.declared,
    self: { id: input.self.id, name: input.self.name, startedAt: input.self.startedAt, database: db.fingerprint },
    peers: input.registry.connectedNodes().map((n) => ({
      id: n.identity.id,
      name: n.identity.name,
      startedAt: n.identity.startedAt,
      database: db.peerDatabase(n.identity.id),
    })),
  });
  return {
    ...decision,
    fingerprint: db.fingerprint?.slice(0, 8) ?? null,
    lastError: db.lastError,
    replication: db.declared === 'per-node',
  };
}

const withShort = (build: AppBuildIdentity | null) => (build ? { ...build, short: shortAppBuild(build) } : null);

function viaOf(registry: PeerRegistry, address: string, nodeId: string | undefined): string[] {
  const via = new Set<string>();
  for (const c of registry.candidates.values()) {
    if (c.address === address || (nodeId !== undefined && c.nodeId === nodeId && c.state === 'linked')) {
      for (const source of c.via) via.add(source);
    }
  }
  return [...via].sort();
}

export function buildStatus(input: StatusInput): SyncStatus {
  const { registry, nowMs } = input;
  const peers: PeerStatus[] = [];
  for (const node of registry.nodes.values()) {
    const row: PeerStatus = {
      name: node.identity.name,
      id: node.identity.id,
      address: node.address,
      discoveredVia: viaOf(registry, node.address, node.identity.id),
      authState: node.connected ? 'authenticated' : 'disconnected',
      lastSeenAt: iso(node.lastSeenAt),
      clockSkewMs: node.clockSkewMs,
      agreement: computePeerAgreement(input.selfConfig, node.config, {
        self: input.appBuild.build,
        peer: node.appBuild,
      }),
      connectedAt: node.connected ? iso(node.connectedAt) : null,
      lastError: node.connected ? null : (node.disconnectedReason ?? null),
      refusalReason: null,
      appBuild: withShort(node.appBuild),
    };
    for (const contributor of input.contributors) {
      const fields = contributor.peer?.(node.identity.id);
      if (fields) row[contributor.name] = fields;
    }
    peers.push(row);
  }
  const shownAddresses = new Set(peers.map((p) => p.address));
  for (const c of registry.candidates.values()) {
    if (c.state === 'self' || c.state === 'linked' || shownAddresses.has(c.address)) continue;
    const refusal = [...registry.refusals.values()].find((r) => r.address === c.address);
    peers.push({
      name: c.hint.name ?? refusal?.name ?? null,
      id: c.hint.id ?? refusal?.id ?? null,
      address: c.address,
      discoveredVia: [...c.via].sort(),
      authState: c.state === 'new' ? 'discovered' : c.state,
      lastSeenAt: null,
      clockSkewMs: null,
      agreement: null,
      connectedAt: null,
      lastError: c.lastError ?? null,
      refusalReason: c.state === 'refused' ? (refusal?.reason ?? null) : null,
      appBuild: null,
    });
  }
  peers.sort(
    (a, b) =>
      (a.authState === 'authenticated' ? 0 : 1) - (b.authState === 'authenticated' ? 0 : 1) ||
      a.address.localeCompare(b.address),
  );

  const refused: RefusedStatus[] = registry.currentRefusals(nowMs).map((r) => ({
    address: r.address,
    id: r.id ?? null,
    name: r.name ?? null,
    reason: r.reason,
    summary: REFUSAL_SUMMARY[r.reason],
    message: r.message,
    side: r.side,
    firstAt: iso(r.firstAt) as string,
    lastAt: iso(r.lastAt) as string,
    count: r.count,
  }));

  const agreement = computeNodeAgreement(input);
  const conflict = registry.currentIdentityConflict(nowMs);
  const reasons: string[] = [];
  if (!input.listening) reasons.push('the sync port is not listening');
  const oddVariables = agreement.mismatches
    .filter((m) => m.oddOneOut && m.variable !== APP_BUILD_VARIABLE)
    .map((m) => m.variable);
  if (oddVariables.length > 0) {
    reasons.push(
      `configuration differs from the rest of the cluster and this node is the odd one out: ${oddVariables.join(', ')}`,
    );
  }
  const oddBuild = agreement.mismatches.find((m) => m.oddOneOut && m.variable === APP_BUILD_VARIABLE);
  if (oddBuild)
    reasons.push(
      `this node is the odd one out: ${oddBuild.detail ?? 'the app build differs from the rest of the cluster'}`,
    );
  if (conflict) reasons.push(`duplicate node ID: ${conflict.message}`);
  const database = input.database ? databaseStatus(input) : null;
  if (database?.thisNodeRefused && database.problem) reasons.push(`database topology refused: ${database.problem}`);
  for (const contributor of input.contributors) reasons.push(...(contributor.notReady?.() ?? []));

  const status: SyncStatus = {
    generatedAt: iso(nowMs) as string,
    service: {
      name: 'msk-sync',
      version: input.version,
      pid: input.pid,
      uptimeMs: nowMs - input.self.startedAt,
      tls: input.tls,
    },
    node: {
      id: input.self.id,
      name: input.self.name,
      address: input.selfAddress,
      startedAt: iso(input.self.startedAt) as string,
      appPort: input.appPort,
    },
    configured: true,
    listening: input.listening,
    discovery: input.discovery,
    peersConnected: registry.connectedNodes().length,
    peers,
    refused,
    agreement,
    appBuild: {
      url: input.appBuild.url,
      build: withShort(input.appBuild.build),
      reported: input.appBuild.reported ?? null,
      lastError: input.appBuild.lastError,
      checkedAt: iso(input.appBuild.checkedAt),
    },
    database,
    identity: { conflict: conflict ? { message: conflict.message, otherAddress: conflict.otherAddress } : null },
    ready: { ok: reasons.length === 0, reasons },
    warnings: [...input.warnings],
  };
  for (const contributor of input.contributors) {
    const fields = contributor.node?.();
    if (fields) status[contributor.name] = fields;
  }
  return status;
}
