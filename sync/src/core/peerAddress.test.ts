import { formatPeerAddress, isHostLocalIp, isLoopbackIp, limitKey, normalizeIp, parsePeerAddress } from './peerAddress';

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
    expect(['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1'].map(isLoopbackIp)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
  });
});

describe('limitKey counts IPv4 addresses one by one and IPv6 addresses by their /64', () => {
  it.each([
    ['127.0.12.20', '127.0.12.20'],
    ['::ffff:10.0.0.2', '10.0.0.2'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (address, key) => {
    expect(limitKey(address)).toBe(key);
  });
});

describe('isHostLocalIp', () => {
  it('is 127.0.0.1 and ::1 only, not the other loopback addresses the local cluster gives its servers', () => {
    expect(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map(isHostLocalIp)).toEqual([true, true, true]);
    expect(['127.0.0.2', '127.0.12.20', '10.0.0.1', '::2'].map(isHostLocalIp)).toEqual([false, false, false, false]);
  });
});
