/**
 * A migration that adds a column, applied on one node while the other still runs the previous release, on real
 * PostgreSQL: what flows, what waits, and that every column value converges once both are upgraded (install.ts
 * marks the new column "never written" in existing row states; the capture trigger sees writes of a column added
 * after it was installed; schemaCompatibility.ts decides per peer).
 */
import { Replicator } from '../engine/replicator';
import { answerPull, answerSnapshot } from '../engine/replicationServer';
import { postgresTableHashes } from './tableHashes';
import { NEVER_WRITTEN_HLC } from '../core/schemaCompatibility';
import { NODE_IDS, userRow } from '../testing/appShapedTables';
import { pause } from '../testing/replicationBehaviour';
import { type PostgresNode, startPostgresNode } from '../testing/postgresNodes';
import { PostgresReplicationStore } from './postgresStore';

const ADD_NICKNAME = `ALTER TABLE users ADD COLUMN nickname text NOT NULL DEFAULT 'none'`;

describe('a rolling upgrade that adds a column (PostgreSQL)', () => {
  let nodes: PostgresNode[] = [];
  /** The store each node runs now (re-opened after its migration, as the sync service does). */
  const stores = new Map<string, PostgresReplicationStore>();
  const storeOf = (index: number) => stores.get(nodes[index]!.nodeId)!;
  const replicatorOf = (index: number) =>
    new Replicator({
      store: storeOf(index),
      transport: {
        pull: (peerId, request) => answerPull(stores.get(peerId)!, request, nodes[index]!.nodeId),
        snapshot: (peerId, request) => answerSnapshot(stores.get(peerId)!, request, nodes[index]!.nodeId),
      },
    });
  const pull = (to: number, from: number) => replicatorOf(to).catchUp(nodes[from]!.nodeId);
  /** Closes node `index`'s store and opens it again, as a restarted sync service does (it reads the tables anew). */
  const reopen = async (index: number) => {
    await storeOf(index).close();
    stores.set(
      nodes[index]!.nodeId,
      await PostgresReplicationStore.open({
        connectionString: nodes[index]!.database.url,
        nodeId: nodes[index]!.nodeId,
        tables: ['users', 'businesses', 'employees'],
        poolSize: 2,
      }),
    );
  };
  const upgrade = async (index: number) => {
    await nodes[index]!.app.query(ADD_NICKNAME);
    await reopen(index);
  };
  const nicknames = async (index: number) =>
    (
      await nodes[index]!.app.query<{ id: string; nickname: string }>(
        'SELECT id::text, nickname FROM users ORDER BY id',
      )
    ).rows;

  beforeEach(async () => {
    nodes = [await startPostgresNode(NODE_IDS[0]), await startPostgresNode(NODE_IDS[1])];
    for (const node of nodes) stores.set(node.nodeId, node.store);
  });
  afterEach(async () => {
    for (const node of nodes) {
      if (stores.get(node.nodeId) !== node.store) await stores.get(node.nodeId)!.close();
      await node.close();
    }
    stores.clear();
  });

  it("an upgraded node keeps taking the old node's changes, its own wait, and the new column's values win once both run the new release", async () => {
    const user = userRow();
    await nodes[1]!.insert('users', user);
    expect((await pull(0, 1)).last.kind).toBe('applied');

    await upgrade(0);
    expect(storeOf(0).addedColumns).toEqual(['users.nickname']);
    const state = await nodes[0]!.app.query<{ column_hlcs: Record<string, string> }>(
      `SELECT column_hlcs FROM msk_sync.change_log WHERE pk = $1`,
      [user.id],
    );
    expect(state.rows[0]!.column_hlcs).toMatchObject({ nickname: NEVER_WRITTEN_HLC });

    // the upgraded node writes the new column; then the old node rewrites every column it knows (newer stamps)
    await nodes[0]!.app.query(`UPDATE users SET nickname = 'ace' WHERE id = $1`, [user.id]);
    await pause();
    await nodes[1]!.update('users', user.id!, {
      name: 'renamed on the old node',
      email: 'new@example.com',
      role: 'admin',
    });

    // old -> new flows, the new column untouched; new -> old waits (nothing applied, no error)
    expect((await pull(0, 1)).last.kind).toBe('applied');
    expect(await nodes[0]!.rows('users')).toEqual([
      expect.objectContaining({ name: 'renamed on the old node', role: 'admin' }),
    ]);
    expect(await nicknames(0)).toEqual([{ id: user.id, nickname: 'ace' }]);
    const waiting = await pull(1, 0);
    expect(waiting.last).toMatchObject({ kind: 'waiting-for-upgrade' });
    expect(waiting.last.kind !== 'applied' && waiting.last.message).toMatch(/users\.nickname/);
    expect((await storeOf(1).peerProgress()).find((p) => p.peerId === nodes[0]!.nodeId)?.errors ?? 0).toBe(0);

    await upgrade(1);
    expect((await pull(1, 0)).last.kind).toBe('applied');
    expect((await pull(0, 1)).last.kind).toBe('applied');
    expect(await nicknames(1)).toEqual([{ id: user.id, nickname: 'ace' }]);
    expect(await nicknames(0)).toEqual([{ id: user.id, nickname: 'ace' }]);
    expect(await postgresTableHashes(nodes[0]!.app, storeOf(0).tables)).toEqual(
      await postgresTableHashes(nodes[1]!.app, storeOf(1).tables),
    );
  });

  it('a write of the new column made before the sync service re-reads the schema is captured and replicated', async () => {
    const user = userRow();
    await nodes[0]!.insert('users', user);
    await pull(1, 0);
    await nodes[1]!.app.query(ADD_NICKNAME);
    await nodes[0]!.app.query(ADD_NICKNAME);
    // node 0's capture was installed without the column: this update changes only the new column
    await nodes[0]!.app.query(`UPDATE users SET nickname = 'early' WHERE id = $1`, [user.id]);
    const captured = await nodes[0]!.app.query<{ changed: string[] }>(
      `SELECT changed FROM msk_sync.capture_log WHERE pk = $1 AND op = 'U'`,
      [user.id],
    );
    expect(captured.rows).toEqual([{ changed: ['nickname'] }]);
    await storeOf(0).foldNow(); // folded by the store that does not know the column yet
    for (const index of [0, 1]) await reopen(index);
    expect((await pull(1, 0)).last.kind).toBe('applied');
    expect(await nicknames(1)).toEqual([{ id: user.id, nickname: 'early' }]);
  });

  it("a row state older than the migration never outranks a peer's write of the new column (the column is marked never written)", async () => {
    // the same row created on both nodes (as every node's first admin is): the old node's copy is the newer one
    const user = userRow();
    await upgrade(0);
    await nodes[0]!.insert('users', { ...user, nickname: 'ace' });
    await pause();
    await nodes[1]!.insert('users', user);
    expect((await pull(0, 1)).last.kind).toBe('applied');
    expect(await nicknames(0)).toEqual([{ id: user.id, nickname: 'ace' }]);
    // without the mark, the old node's newer base stamp would cover nickname = 'none' after its upgrade
    await upgrade(1);
    expect((await pull(0, 1)).last.kind).toBe('applied');
    expect((await pull(1, 0)).last.kind).toBe('applied');
    expect(await nicknames(0)).toEqual([{ id: user.id, nickname: 'ace' }]);
    expect(await nicknames(1)).toEqual([{ id: user.id, nickname: 'ace' }]);
  });
});
