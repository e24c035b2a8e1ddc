import { deriveClusterKeys } from './clusterKeys';
import { type TopologyNode, databaseFingerprint, databaseMessageSchema, decideTopology } from './databaseTopology';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);
const node = (n: number, database: string | null, startedAt = n): TopologyNode => ({
  id: `${n}`.repeat(16),
  name: `node-${n}`,
  startedAt,
  database,
});

describe('the database topology decision', () => {
  it('calls every connected node on one database shared, and that is fine when shared is declared', () => {
    const decision = decideTopology({ declared: 'shared', self: node(1, A), peers: [node(2, A), node(3, A)] });
    expect(decision).toMatchObject({
      detected: 'shared',
      sharedWith: ['node-2', 'node-3'],
      problem: null,
      thisNodeRefused: false,
    });
  });

  it('calls every node on its own database per-node, and that is fine when per-node is declared', () => {
    const decision = decideTopology({ declared: 'per-node', self: node(1, A), peers: [node(2, B)] });
    expect(decision).toMatchObject({ detected: 'per-node', sharedWith: [], problem: null, thisNodeRefused: false });
  });

  it('takes a node alone (or whose peers have not told their database yet) at its word', () => {
    expect(decideTopology({ declared: 'shared', self: node(1, A), peers: [node(2, null)] })).toMatchObject({
      detected: 'shared',
      problem: null,
      unknownPeers: ['node-2'],
    });
    expect(decideTopology({ declared: 'per-node', self: node(1, A), peers: [] })).toMatchObject({
      detected: 'per-node',
      problem: null,
    });
  });

  it('says unknown, without a problem, while this node has not read its own database', () => {
    expect(decideTopology({ declared: 'shared', self: node(1, null), peers: [node(2, A)] })).toMatchObject({
      detected: 'unknown',
      problem: null,
      thisNodeRefused: false,
    });
  });

  it('refuses a mix in a shared cluster, naming the nodes, and only the node on another database fails', () => {
    const peers = [node(2, A), node(3, B)];
    const onShared = decideTopology({ declared: 'shared', self: node(1, A), peers });
    expect(onShared.detected).toBe('mixed');
    expect(onShared.problem).toContain('node-1 and node-2 share one database; node-3 has its own');
    expect(onShared.problem).toContain('refused: node-3');
    expect(onShared.thisNodeRefused).toBe(false);
    const odd = decideTopology({ declared: 'shared', self: node(3, B), peers: [node(1, A), node(2, A)] });
    expect(odd).toMatchObject({ detected: 'mixed', thisNodeRefused: true, sharedWith: [] });
    expect(odd.problem).toBe(onShared.problem);
  });

  it('between two equal groups in a shared cluster, refuses the group of the later-started nodes', () => {
    const early = decideTopology({ declared: 'shared', self: node(1, A, 100), peers: [node(2, B, 200)] });
    expect(early).toMatchObject({ detected: 'per-node', thisNodeRefused: false });
    expect(early.problem).toContain(
      'DATABASE_TOPOLOGY is shared but node-1 and node-2 each have their own database; refused: node-2',
    );
    expect(
      decideTopology({ declared: 'shared', self: node(2, B, 200), peers: [node(1, A, 100)] }).thisNodeRefused,
    ).toBe(true);
  });

  it('refuses nodes sharing a database in a per-node cluster: every one that shares fails', () => {
    const shared = decideTopology({ declared: 'per-node', self: node(1, A), peers: [node(2, A)] });
    expect(shared).toMatchObject({ detected: 'shared', thisNodeRefused: true });
    expect(shared.problem).toContain('node-1 and node-2 share one database but DATABASE_TOPOLOGY is per-node');
    const mixed = decideTopology({ declared: 'per-node', self: node(3, C), peers: [node(1, A), node(2, A)] });
    expect(mixed).toMatchObject({ detected: 'mixed', thisNodeRefused: false });
    expect(mixed.problem).toContain('refused: node-1 and node-2');
  });
});

describe('the database fingerprint peers exchange', () => {
  const keys = deriveClusterKeys('k'.repeat(64));
  const identity = { systemIdentifier: '7716535827153354749', databaseOid: '16384' };

  it('is the same for the same database and differs for another database or another cluster key', () => {
    expect(databaseFingerprint(identity, keys)).toBe(databaseFingerprint({ ...identity }, keys));
    expect(databaseFingerprint({ ...identity, databaseOid: '16385' }, keys)).not.toBe(
      databaseFingerprint(identity, keys),
    );
    expect(databaseFingerprint(identity, deriveClusterKeys('j'.repeat(64)))).not.toBe(
      databaseFingerprint(identity, keys),
    );
    expect(databaseFingerprint(identity, keys)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is validated like every peer message: anything but 32 hex characters or null is refused', () => {
    expect(databaseMessageSchema.safeParse({ database: A }).success).toBe(true);
    expect(databaseMessageSchema.safeParse({ database: null }).success).toBe(true);
    for (const hostile of [
      { database: 'A'.repeat(32) },
      { database: A + 'x' },
      { database: 42 },
      { database: A, extra: 1 },
      {},
      null,
      'x',
    ]) {
      expect(databaseMessageSchema.safeParse(hostile).success).toBe(false);
    }
  });
});
