import { formatPeerAddress, isLoopbackIp, normalizeIp, parsePeerAddress } from './peerAddress';

describe('peer addresses', () => {
  it('parse host and port, with the default port when none is given, and IPv6 in brackets', () => {
    expect(parsePeerAddress('192.168.1.101:8765', 1)).toEqual({ host: '192.168.1.101', port: 8765 });
    expect(parsePeerAddress('server-2.local', 8765)).toEqual({ host: 'server-2.local', port: 8765 });
    expect(parsePeerAddress('[fd00::2]:9000', 8765)).toEqual({ host: 'fd00::2', port: 9000 });
    expect(() => parsePeerAddress('a b', 1)).toThrow(/not host or host:port/);
  });

  it('format IPv6 hosts in brackets', () => {
    expect(formatPeerAddress('fd00::2', 8765)).toBe('[fd00::2]:8765');
    expect(formatPeerAddress('10.0.0.1', 8765)).toBe('10.0.0.1:8765');
  });

  it('recognise loopback clients, IPv4-mapped ones included, and nothing else', () => {
    expect(['127.0.0.1', '127.0.2.3', '::1', '::ffff:127.0.0.1'].map(isLoopbackIp)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1'].map(isLoopbackIp)).toEqual([false, false, false, false]);
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
  });
});
