import { clientAddressBehind, parseTrustedProxies, trustedProxiesProblem } from './trustedProxies';

describe('TRUSTED_PROXIES', () => {
  it('accepts addresses and CIDR ranges of both families, or nothing', () => {
    expect(trustedProxiesProblem('')).toBeUndefined();
    expect(trustedProxiesProblem('127.0.0.1,10.0.0.0/8, fd00::/8,::1')).toBeUndefined();
  });

  it('throws if an entry is not an address or range, naming the entry', () => {
    expect(trustedProxiesProblem('nginx')).toMatch(/"nginx" is not an IP address or CIDR range/);
    expect(trustedProxiesProblem('10.0.0.0/33')).toMatch(/"10.0.0.0\/33" has a prefix length outside 0-32/);
    expect(trustedProxiesProblem('10.0.0.0/8/1')).toMatch(/not an IP address/);
  });

  it('matches addresses and ranges, IPv4-mapped IPv6 as IPv4', () => {
    const proxies = parseTrustedProxies('127.0.0.1,10.0.0.0/8,fd00::/8');
    expect(proxies.includes('127.0.0.1')).toBe(true);
    expect(proxies.includes('::ffff:127.0.0.1')).toBe(true);
    expect(proxies.includes('10.42.3.4')).toBe(true);
    expect(proxies.includes('fd12::1')).toBe(true);
    expect(proxies.includes('127.0.0.2')).toBe(false);
    expect(proxies.includes('unknown')).toBe(false);
  });

  it('trusts nobody by default', () => {
    expect(parseTrustedProxies('').includes('127.0.0.1')).toBe(false);
  });
});

describe('the client address behind the trusted proxies', () => {
  const proxies = parseTrustedProxies('127.0.0.1,10.0.0.0/8');

  it("is the connection's peer when the peer is not a trusted proxy, whatever X-Forwarded-For says", () => {
    expect(clientAddressBehind(proxies, '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(clientAddressBehind(parseTrustedProxies(''), '127.0.0.1', '198.51.100.1')).toBe('127.0.0.1');
  });

  it('is the rightmost entry a trusted proxy did not write', () => {
    expect(clientAddressBehind(proxies, '127.0.0.1', '198.51.100.1')).toBe('198.51.100.1');
    expect(clientAddressBehind(proxies, '127.0.0.1', '6.6.6.6, 198.51.100.1')).toBe('198.51.100.1');
    expect(clientAddressBehind(proxies, '10.1.1.1', '6.6.6.6, 198.51.100.1, 10.2.2.2')).toBe('198.51.100.1');
  });

  it('is the proxy itself when it forwards garbage or nothing', () => {
    expect(clientAddressBehind(proxies, '127.0.0.1', undefined)).toBe('127.0.0.1');
    expect(clientAddressBehind(proxies, '127.0.0.1', 'not-an-address')).toBe('127.0.0.1');
  });

  it('is the leftmost entry when every hop is a trusted proxy', () => {
    expect(clientAddressBehind(proxies, '127.0.0.1', '10.0.0.5, 127.0.0.1')).toBe('10.0.0.5');
  });
});
