/**
 * How other parts of the sync service (replication) run on top of this one: they get the authenticated channel
 * to peers, authenticated routes of their own, peer events, and a place in the status document.
 */
import type { NodeConfig } from '@msk/contract';
import type { Registry } from 'prom-client';
import type { NodeIdentity } from '../core/handshake';
import type { RegistryEvent } from '../peers/peerRegistry';
import type { StatusContributor } from '../status/statusModel';
import type { Logger } from './logger';
import type { SignedAnswer } from './peerChannel';

export interface PeerRouteRequest {
  /** The authenticated sender. */
  readonly peerId: string;
  readonly path: string;
  readonly body: Buffer;
  /** Parsed JSON body (validate it: it comes from a peer). */
  readonly json: unknown;
}

export interface PeerRoute {
  readonly method: 'GET' | 'POST';
  /** Must start with /sync/v1/. */
  readonly path: string;
  readonly maxBodyBytes?: number;
  handle(request: PeerRouteRequest): Promise<{ status: number; json?: unknown }> | { status: number; json?: unknown };
}

export interface ConnectedPeer {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly instanceId: string;
}

export interface SyncServiceApi {
  readonly config: NodeConfig;
  readonly self: NodeIdentity;
  readonly logger: Logger;
  /** Register metrics here (prom-client `registers: [api.metricsRegistry]`). */
  readonly metricsRegistry: Registry;
  readonly now: () => number;
  /** An authenticated route: only peers with a valid session reach the handler; answers are signed. */
  addRoute(route: PeerRoute): void;
  /** A signed request to a connected peer; the answer's signature is verified. Throws PeerChannelError. */
  request(
    peerId: string,
    request: { method: 'GET' | 'POST'; path: string; json?: unknown; timeoutMs?: number },
  ): Promise<SignedAnswer>;
  connectedPeers(): ConnectedPeer[];
  onPeerEvent(listener: (event: RegistryEvent) => void): () => void;
  addStatusContributor(contributor: StatusContributor): void;
}

export interface StartedPlugin {
  stop(): Promise<void>;
}

export interface SyncServicePlugin {
  readonly name: string;
  start(api: SyncServiceApi): Promise<StartedPlugin>;
}
