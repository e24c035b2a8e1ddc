/**
 * SYNC_DISCOVERY=mdns: announces this node as `_msk-sync._tcp.local` on UDP 5353 and browses for the others
 * (multicast-dns). Announcements of another cluster (tag differs) are listed in status as ignored; our own
 * (same instance) are skipped.
 */
import os from 'node:os';
import makeMdns from 'multicast-dns';
import { formatPeerAddress } from '../core/peerAddress';
import type { IgnoredAnnouncement } from '../status/statusModel';
import {
  type DiscoveredAddress,
  type DiscoveryListener,
  type DiscoverySelf,
  type PeerDiscovery,
  withoutOwn,
} from './discovery';
import {
  MDNS_SERVICE_TYPE,
  type MdnsAdvertisement,
  type MdnsAnnouncement,
  advertisementRecords,
  asksForService,
  readAnnouncements,
} from './mdnsRecords';

/** Queries at start, then slower: peers that start later announce themselves anyway. */
export const MDNS_QUERY_SCHEDULE_MS = [0, 1_000, 3_000] as const;
export const MDNS_QUERY_INTERVAL_MS = 20_000;
/** Announcements not heard again within this time are forgotten (missed goodbye). */
export const MDNS_FORGET_AFTER_MS = 75_000;
export const MAX_MDNS_PEERS = 256;

interface Seen {
  readonly address: DiscoveredAddress;
  expiresAtMs: number;
}

export interface MdnsDiscoveryOptions {
  readonly self: DiscoverySelf;
  readonly clusterTag: string;
  /** Interface address for multicast; undefined: the system default. */
  readonly interfaceIp?: string;
  readonly now: () => number;
}

/** The multicast interface to use: the bind address when it is an address of a local interface. */
export function multicastInterfaceFor(bindAddress: string): string | undefined {
  const all = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return all.some((i) => i.address === bindAddress && i.family === 'IPv4') ? bindAddress : undefined;
}

/** IPs to announce: the bind address, or every non-internal IPv4 address (loopback if there is none). */
export function advertisedIpsFor(bindAddress: string): string[] {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::' && bindAddress !== '') return [bindAddress];
  const all = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter((i) => !i.internal && i.family === 'IPv4').map((i) => i.address);
  return external.length > 0 ? external : ['127.0.0.1'];
}

export class MdnsDiscovery implements PeerDiscovery {
  readonly mode = 'mdns' as const;
  private mdns: makeMdns.MulticastDNS | undefined;
  private readonly seen = new Map<string, Seen>();
  private readonly ignored = new Map<string, IgnoredAnnouncement & { expiresAtMs: number }>();
  private timers: NodeJS.Timeout[] = [];
  private listener: DiscoveryListener | undefined;

  constructor(private readonly options: MdnsDiscoveryOptions) {}

  private get advertisement(): MdnsAdvertisement {
    const { self, clusterTag } = this.options;
    return {
      id: self.id,
      name: self.name,
      instanceId: self.instanceId,
      tag: clusterTag,
      port: self.port,
      ips: self.advertisedIps,
    };
  }

  async start(listener: DiscoveryListener): Promise<void> {
    this.listener = listener;
    const mdns = makeMdns({
      reuseAddr: true,
      loopback: true,
      ...(this.options.interfaceIp ? { interface: this.options.interfaceIp } : {}),
    });
    this.mdns = mdns;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(new Error(`mDNS cannot listen on UDP 5353: ${error.message}`));
      mdns.once('error', onError);
      mdns.once('ready', () => {
        mdns.off('error', onError);
        resolve();
      });
    });
    mdns.on('error', (error: Error) => listener.error(`mDNS: ${error.message}`));
    mdns.on('warning', (error: Error) => listener.error(`mDNS: ${error.message}`));
    mdns.on('query', (query) => {
      if (asksForService(query)) this.announce();
    });
    mdns.on('response', (response, rinfo) => this.onResponse(readAnnouncements(response), rinfo.address));
    this.announce();
    for (const delayMs of MDNS_QUERY_SCHEDULE_MS) this.later(delayMs, () => this.query());
    const every = setInterval(() => {
      this.query();
      this.expire();
    }, MDNS_QUERY_INTERVAL_MS);
    every.unref();
    this.timers.push(every);
  }

  private later(delayMs: number, run: () => void): void {
    const timer = setTimeout(run, delayMs);
    timer.unref();
    this.timers.push(timer);
  }

  private announce(ttl?: number): void {
    this.mdns?.respond(advertisementRecords(this.advertisement, ttl));
  }

  private query(): void {
    this.mdns?.query({ questions: [{ name: MDNS_SERVICE_TYPE, type: 'PTR' }] });
  }

  private onResponse(announcements: readonly MdnsAnnouncement[], sourceIp: string): void {
    if (announcements.length === 0) return;
    const { self, clusterTag, now } = this.options;
    let changed = false;
    for (const a of announcements) {
      if (a.instanceId === self.instanceId) continue;
      const ips = a.ips.length > 0 ? a.ips : [sourceIp];
      if (a.port === undefined || a.id === undefined) continue;
      const key = a.instanceName;
      if (a.tag !== clusterTag) {
        if (a.ttlSeconds === 0) this.ignored.delete(key);
        else
          this.ignored.set(key, {
            address: formatPeerAddress(ips[0] as string, a.port),
            id: a.id ?? null,
            name: a.name ?? null,
            reason:
              'mDNS cluster tag differs: this node belongs to another cluster (a different SYNC_REGISTRATION_KEY)',
            expiresAtMs: now() + MDNS_FORGET_AFTER_MS,
          });
        changed = true;
        continue;
      }
      if (a.ttlSeconds === 0) {
        changed = this.seen.delete(key) || changed;
        continue;
      }
      if (!this.seen.has(key) && this.seen.size >= MAX_MDNS_PEERS) continue;
      const previous = this.seen.get(key);
      const address: DiscoveredAddress = {
        address: formatPeerAddress(ips[0] as string, a.port),
        hint: { id: a.id, ...(a.name ? { name: a.name } : {}) },
      };
      changed = changed || previous?.address.address !== address.address;
      this.seen.set(key, { address, expiresAtMs: now() + MDNS_FORGET_AFTER_MS });
    }
    if (changed) this.publish();
  }

  private expire(): void {
    const nowMs = this.options.now();
    let changed = false;
    for (const [key, s] of this.seen) if (s.expiresAtMs < nowMs) changed = this.seen.delete(key) || changed;
    for (const [key, i] of this.ignored) if (i.expiresAtMs < nowMs) changed = this.ignored.delete(key) || changed;
    if (changed) this.publish();
  }

  private publish(): void {
    this.listener?.update({
      addresses: withoutOwn(
        this.options.self,
        [...this.seen.values()].map((s) => s.address),
      ),
      ignored: [...this.ignored.values()].map(({ expiresAtMs: _expires, ...rest }) => rest),
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    const mdns = this.mdns;
    this.mdns = undefined;
    if (!mdns) return;
    // Goodbye (TTL 0) so peers drop this node at once rather than after the TTL.
    await new Promise<void>((resolve) => mdns.respond(advertisementRecords(this.advertisement, 0), () => resolve()));
    await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
  }
}
