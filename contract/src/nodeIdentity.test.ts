import { deriveNodeId, NODE_ID_HEX_LENGTH, NODE_ID_PATTERN, NODE_ID_RULE } from './nodeIdentity';
import { variable } from './variables';

describe('deriveNodeId', () => {
  it('gives 16 lowercase hex characters that pass the contract check of SYNC_NODE_ID', () => {
    const id = deriveNodeId('multi-server-kit/multi-server-kit', 0);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).toHaveLength(NODE_ID_HEX_LENGTH);
    expect(variable('SYNC_NODE_ID').check(id)).toBeUndefined();
  });

  it('is the first 16 hex characters of sha256 of seed/ordinal (the formula the pod entry script repeats)', () => {
    // computed independently: `printf a/0 | sha256sum` starts with d7e98967056f4828
    expect(deriveNodeId('a', 0)).toBe('d7e98967056f4828');
  });

  it('returns the same ID for the same seed and ordinal every time', () => {
    expect(deriveNodeId('ns/release', 3)).toBe(deriveNodeId('ns/release', 3));
  });

  it('returns a different ID for every ordinal of one release', () => {
    const ids = new Set(Array.from({ length: 1000 }, (_, ordinal) => deriveNodeId('ns/release', ordinal)));
    expect(ids.size).toBe(1000);
  });

  it('returns a different ID for the same ordinal of another release', () => {
    expect(deriveNodeId('ns/release-a', 0)).not.toBe(deriveNodeId('ns/release-b', 0));
  });

  it('throws for a negative or fractional ordinal and for an empty seed', () => {
    expect(() => deriveNodeId('s', -1)).toThrow(/whole number >= 0/);
    expect(() => deriveNodeId('s', 1.5)).toThrow(/whole number >= 0/);
    expect(() => deriveNodeId('', 0)).toThrow(/non-empty seed/);
  });
});

describe('the node-ID rule', () => {
  const candidates = [
    '2595930f841f02e1',
    '2595930F841F02E1',
    '2595930f841f02e',
    '2595930f841f02e10',
    'a1b2c3d4e5f6g7h8',
    ' 2595930f841f02e1',
    '',
    '0000000000000000',
  ];

  it.each(candidates)('the pattern and the SYNC_NODE_ID check agree on %j', (value) => {
    expect(NODE_ID_PATTERN.test(value)).toBe(variable('SYNC_NODE_ID').check(value) === undefined);
  });

  it('is 16 lowercase hex characters, as a pattern PostgreSQL reads the same way (no JavaScript-only syntax)', () => {
    expect(NODE_ID_RULE).toBe('16 lowercase hex characters');
    expect(NODE_ID_PATTERN.source).toBe('^[0-9a-f]{16}$');
    expect(NODE_ID_PATTERN.flags).toBe('');
  });
});
