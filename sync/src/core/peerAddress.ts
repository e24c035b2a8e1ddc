/** host:port addresses of peers. IPv6 hosts are written in brackets. */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parsePeerAddress(value: string, defaultPort: number): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?$/.exec(value);
  if (!m) throw new Error(`"${value}" is not host or host:port`);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  return { host, port: m[2] === undefined ? defaultPort : Number(m[2]) };
}

export function formatPeerAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Remote addresses as Node reports them: drops the IPv4-mapped IPv6 prefix. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export function isLoopbackIp(ip: string): boolean {
  const plain = normalizeIp(ip);
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain) || plain === '::1';
}

export function isWildcardAddress(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Expands an IPv6 address to its eight 16-bit groups (undefined when it is not one). */
function ipv6Groups(ip: string): number[] | undefined {
  const [head = '', tail, extra] = ip.split('::');
  if (extra !== undefined) return undefined;
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...new Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return groups.some(Number.isNaN) ? undefined : groups;
}

/**
 * The key limits count a source address under: an IPv4 address as is, an IPv6 address by its /64 (one host
 * usually holds a whole /64, so counting single IPv6 addresses would let one host look like billions).
 */
export function limitKey(ip: string): string {
  const plain = normalizeIp(ip);
  if (!plain.includes(':')) return plain;
  const groups = ipv6Groups(plain.split('%')[0] as string);
  if (!groups) return plain;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/**
 * This host's own clients: 127.0.0.1 and ::1, where the kernel puts the source of a connection from this host to
 * any loopback address. Other 127.x addresses are what the local cluster gives each simulated server, so they
 * are treated like another machine.
 */
export function isHostLocalIp(ip: string): boolean {
  const plain = normalizeIp(ip);
  return plain === '127.0.0.1' || plain === '::1';
}
