/** A peer registry for unit tests: this node (server-1 at 10.0.0.1) and peers admitted with no configuration. */
import type { ConfigFingerprints } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import { PeerRegistry } from '../peers/peerRegistry';

export const NO_CONFIG: ConfigFingerprints = { fingerprints: {}, previousSessionSecrets: [], publicValues: {} };

export const SELF_IDENTITY: NodeIdentity = {
  id: 'aaaaaaaaaaaaaaaa',
  name: 'server-1',
  instanceId: '1'.repeat(32),
  startedAt: 1,
  port: 8765,
};
export const PEER_IDENTITY: NodeIdentity = {
  id: 'bbbbbbbbbbbbbbbb',
  name: 'server-2',
  instanceId: '2'.repeat(32),
  startedAt: 2,
  port: 8765,
};

export function testRegistry(self: NodeIdentity = SELF_IDENTITY): PeerRegistry {
  return new PeerRegistry({
    self,
    selfAddress: '10.0.0.1:8765',
    maxClockSkewMs: 10_000,
    liveWithinMs: 6_000,
    random: () => 0.5,
  });
}

export interface AdmitProps {
  /** @default '10.0.0.2:8765' */
  readonly address?: string;
  /** @default 1 */
  readonly nowMs?: number;
  /** @default true */
  readonly inbound?: boolean;
  /** @default NO_CONFIG */
  readonly config?: ConfigFingerprints;
  /** @default 0 */
  readonly clockSkewMs?: number;
}

/** Admits a peer as a completed handshake does. */
export function admitPeer(registry: PeerRegistry, identity: NodeIdentity = PEER_IDENTITY, props: AdmitProps = {}) {
  return registry.admit({
    identity,
    address: props.address ?? '10.0.0.2:8765',
    config: props.config ?? NO_CONFIG,
    clockSkewMs: props.clockSkewMs ?? 0,
    nowMs: props.nowMs ?? 1,
    inbound: props.inbound ?? true,
  });
}
