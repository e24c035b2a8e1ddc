/**
 * TRUSTED_PROXIES: the addresses (or CIDR ranges) of the reverse proxies in front of a node, the only peers whose
 * X-Forwarded-For a node believes. Pure parsing and matching (node:net's BlockList does the address arithmetic).
 */
import { BlockList, isIP } from 'node:net';

export interface TrustedProxies {
  /** The entries as configured, for logs. */
  readonly entries: readonly string[];
  /** Whether a connection from `address` comes from one of the proxies. */
  includes(address: string): boolean;
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1) is the IPv4 address; IPv6 in lowercase. */
export function normalizeAddress(address: string): string {
  return address
    .trim()
    .toLowerCase()
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

function entryProblem(entry: string): string | undefined {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return `"${entry}" is not an IP address or CIDR range`;
  if (prefix === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `"${entry}" has a prefix length outside 0-${max}`;
  return undefined;
}

/** The contract's check: a comma-separated list of addresses and CIDR ranges, or empty (trust no proxy). */
export function trustedProxiesProblem(value: string): string | undefined {
  if (value === '') return undefined;
  for (const entry of value.split(',')) {
    const problem = entryProblem(entry.trim());
    if (problem) return `must be IP addresses or CIDR ranges separated by commas: ${problem}`;
  }
  return undefined;
}

export function parseTrustedProxies(value: string): TrustedProxies {
  const entries = value === '' ? [] : value.split(',').map((entry) => entry.trim());
  const list = new BlockList();
  for (const entry of entries) {
    if (entryProblem(entry)) throw new Error(`TRUSTED_PROXIES ${trustedProxiesProblem(value)}`);
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return {
    entries,
    includes(address) {
      const normalized = normalizeAddress(address);
      const family = isIP(normalized);
      if (entries.length === 0 || family === 0) return false;
      return list.check(normalized, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The client's address: the connection's peer, unless that peer is a trusted proxy; then the rightmost
 * X-Forwarded-For entry that is not itself a trusted proxy (entries further left were written by the client and
 * prove nothing). When every entry is a proxy, the leftmost one.
 */
export function clientAddressBehind(
  proxies: TrustedProxies,
  peerAddress: string,
  xForwardedFor: string | undefined,
): string {
  const peer = normalizeAddress(peerAddress);
  if (!proxies.includes(peer)) return peer;
  const chain = (xForwardedFor ?? '')
    .split(',')
    .map(normalizeAddress)
    .filter((entry) => entry !== '');
  for (let i = chain.length - 1; i >= 0; i--) {
    const entry = chain[i] as string;
    if (isIP(entry) === 0) return peer; // garbage from a proxy: do not let it pick a bucket
    if (!proxies.includes(entry)) return entry;
  }
  return chain[0] ?? peer;
}
