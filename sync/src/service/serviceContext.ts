/** What the parts of a running sync service share. Built once in syncService.ts. */
import type { NodeConfig } from '@msk/contract';
import type { ClusterKeys } from '../core/clusterKeys';
import type { ConfigFingerprints } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import type { PeerRegistry } from '../peers/peerRegistry';
import type { SessionStore } from '../peers/sessionStore';
import type { PeerClient } from '../transport/peerClient';
import type { TlsMaterial } from '../transport/tlsMaterial';
import type { Logger } from './logger';
import type { SyncMetrics } from './metrics';

export interface ServiceContext {
  readonly config: NodeConfig;
  readonly keys: ClusterKeys;
  readonly self: NodeIdentity;
  /** host:port peers reach this node at. */
  readonly selfAddress: string;
  readonly selfConfig: ConfigFingerprints;
  readonly registry: PeerRegistry;
  readonly sessions: SessionStore;
  readonly client: PeerClient;
  readonly tls: TlsMaterial | undefined;
  readonly metrics: SyncMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly randomHex: (bytes: number) => string;
}

/** How long a connected peer counts as alive without a successful exchange. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_TIMEOUT_MS = 2_000;
export const PEER_LIVE_WITHIN_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** Handshake requests wait this long for an answer. */
export const HANDSHAKE_REQUEST_TIMEOUT_MS = 5_000;
/** A liveness probe of an existing peer before refusing a newcomer with its ID. */
export const PROBE_TIMEOUT_MS = 1_000;
export const GOODBYE_TIMEOUT_MS = 500;
