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
