import { KEY_PURPOSES, clusterTag, deriveClusterKeys, sameHex } from './clusterKeys';

const KEY = 'a'.repeat(20) + '0123456789abcdef0123456789abcdef0123456789ab';

describe('deriveClusterKeys', () => {
  it('derives a different 32-byte key for every purpose', () => {
    const keys = deriveClusterKeys(KEY);
    const hex = KEY_PURPOSES.map((p) => keys[p].toString('hex'));
    expect(new Set(hex).size).toBe(KEY_PURPOSES.length);
    for (const p of KEY_PURPOSES) expect(keys[p]).toHaveLength(32);
  });

  it('derives the same keys from the same registration key, and others from another', () => {
    expect(deriveClusterKeys(KEY).handshake.equals(deriveClusterKeys(KEY).handshake)).toBe(true);
    expect(deriveClusterKeys(KEY).handshake.equals(deriveClusterKeys(KEY + 'x').handshake)).toBe(false);
  });

  it('never contains the registration key itself', () => {
    const keys = deriveClusterKeys(KEY);
    for (const p of KEY_PURPOSES)
      expect(keys[p].toString('hex')).not.toContain(Buffer.from(KEY).toString('hex').slice(0, 16));
  });
});

describe('clusterTag', () => {
  it('is 16 hex characters, equal within a cluster and different across clusters', () => {
    const tag = clusterTag(deriveClusterKeys(KEY));
    expect(tag).toMatch(/^[0-9a-f]{16}$/);
    expect(clusterTag(deriveClusterKeys(KEY))).toBe(tag);
    expect(clusterTag(deriveClusterKeys(KEY.replace('a', 'b')))).not.toBe(tag);
  });
});

describe('sameHex', () => {
  it('compares equal hex strings as equal and anything else as different', () => {
    expect(sameHex('abcd', 'abcd')).toBe(true);
    expect(sameHex('abcd', 'abce')).toBe(false);
    expect(sameHex('abcd', 'abcdef')).toBe(false);
    expect(sameHex('zz', 'zz')).toBe(false);
  });
});
