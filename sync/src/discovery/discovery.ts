/**
 * Discovery proposes addresses; trust comes only from the handshake. Every backend implements this one small
 * interface and passes the same contract suite (discovery.contract.int.test.ts).
 */
import type { SyncDiscoveryMode } from '@msk/contract';
import type { IgnoredAnnouncement } from '../status/statusModel';

export interface DiscoveredAddress {
  /** host:port of a peer's sync port. */
  readonly address: string;
  /** What the backend already knows about the node there (mDNS TXT, EndpointSlice target). Not trusted. */
  readonly hint?: { readonly id?: string; readonly name?: string };
}

export interface DiscoveryUpdate {
  /** The complete current set (not a delta). */
  readonly addresses: readonly DiscoveredAddress[];
  /** Announcements seen but skipped (e.g. another cluster's mDNS tag), for status. */
  readonly ignored?: readonly IgnoredAnnouncement[];
}

export interface DiscoveryListener {
  update(update: DiscoveryUpdate): void;
  /** A failed look-up; the backend keeps trying. */
  error(message: string): void;
}

export interface PeerDiscovery {
  readonly mode: SyncDiscoveryMode;
  start(listener: DiscoveryListener): Promise<void>;
  stop(): Promise<void>;
}

/** What a backend knows about this node. */
export interface DiscoverySelf {
  readonly id: string;
  readonly name: string;
  readonly instanceId: string;
  readonly port: number;
  /** Addresses (host:port) that are this node, never proposed as peers. */
  readonly ownAddresses: readonly string[];
  /** IPs this node announces where a backend announces (mDNS). */
  readonly advertisedIps: readonly string[];
}

export function withoutOwn(self: DiscoverySelf, addresses: readonly DiscoveredAddress[]): DiscoveredAddress[] {
  const own = new Set(self.ownAddresses);
  const seen = new Set<string>();
  const out: DiscoveredAddress[] = [];
  for (const entry of addresses) {
    if (own.has(entry.address) || seen.has(entry.address)) continue;
    if (entry.hint?.id === self.id && entry.hint.name === self.name) continue;
    seen.add(entry.address);
    out.push(entry);
  }
  return out.sort((a, b) => a.address.localeCompare(b.address));
}
