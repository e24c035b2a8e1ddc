/**
 * SYNC_DISCOVERY=dns: periodically resolves SYNC_DNS_NAME — SRV `_sync._tcp.<name>` (targets and ports, the
 * Kubernetes named-port way) and otherwise A/AAAA with SYNC_SERVICE_PORT (a headless Service).
 */
import { promises as dns } from 'node:dns';
import { formatPeerAddress } from '../core/peerAddress';
import {
  type DiscoveredAddress,
  type DiscoveryListener,
  type DiscoverySelf,
  type PeerDiscovery,
  withoutOwn,
} from './discovery';

export interface DnsResolver {
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  resolveSrv(name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
}

export const DNS_RESOLVE_INTERVAL_MS = 5_000;
export const SRV_PREFIX = '_sync._tcp.';
/** Answers meaning "no such records", which is an empty result, not a failure. */
const EMPTY_ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA']);

export function srvNameFor(name: string): string {
  return name.startsWith('_') ? name : SRV_PREFIX + name;
}

/** A resolver that asks the given servers ("host:port"), or the system's when none are given. */
export function createDnsResolver(servers: readonly string[] = []): DnsResolver {
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return resolver;
}

interface LookupResult<T> {
  readonly records: T[];
  readonly error?: string;
}

async function lookup<T>(run: () => Promise<T[]>): Promise<LookupResult<T>> {
  try {
    return { records: await run() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'ERROR';
    return EMPTY_ANSWER_CODES.has(code) ? { records: [] } : { records: [], error: code };
  }
}

export class DnsDiscovery implements PeerDiscovery {
  readonly mode = 'dns' as const;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly self: DiscoverySelf,
    private readonly name: string,
    private readonly resolver: DnsResolver,
    private readonly intervalMs = DNS_RESOLVE_INTERVAL_MS,
  ) {}

  async start(listener: DiscoveryListener): Promise<void> {
    this.stopped = false;
    await this.resolveOnce(listener);
    this.schedule(listener);
  }

  private schedule(listener: DiscoveryListener): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.resolveOnce(listener).finally(() => this.schedule(listener));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** One round of look-ups; the complete answer goes to the listener. */
  async resolveOnce(listener: DiscoveryListener): Promise<void> {
    const srv = await lookup(() => this.resolver.resolveSrv(srvNameFor(this.name)));
    let addresses: DiscoveredAddress[] = [];
    const errors: string[] = [];
    if (srv.error) errors.push(`SRV ${srvNameFor(this.name)}: ${srv.error}`);
    if (srv.records.length > 0) {
      for (const record of srv.records) {
        const [v4, v6] = await Promise.all([
          lookup(() => this.resolver.resolve4(record.name)),
          lookup(() => this.resolver.resolve6(record.name)),
        ]);
        for (const ip of [...v4.records, ...v6.records])
          addresses.push({ address: formatPeerAddress(ip, record.port) });
        if (v4.records.length + v6.records.length === 0) errors.push(`SRV target ${record.name} has no A/AAAA record`);
      }
    } else if (!this.name.startsWith('_')) {
      const [v4, v6] = await Promise.all([
        lookup(() => this.resolver.resolve4(this.name)),
        lookup(() => this.resolver.resolve6(this.name)),
      ]);
      if (v4.error && v6.error) errors.push(`A/AAAA ${this.name}: ${v4.error}`);
      addresses = [...v4.records, ...v6.records].map((ip) => ({ address: formatPeerAddress(ip, this.self.port) }));
    }
    if (this.stopped) return;
    if (errors.length > 0) listener.error(`DNS look-up of ${this.name} failed: ${errors.join('; ')}`);
    // A failed round keeps the last good answer rather than dropping every peer.
    if (errors.length === 0 || addresses.length > 0) listener.update({ addresses: withoutOwn(this.self, addresses) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
