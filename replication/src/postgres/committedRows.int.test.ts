import { Client } from 'pg';
import type { ChangeBatch, RowChange } from '../core/protocol';
import { sameCursor } from '../core/protocol';
import { NODE_IDS, userRow } from '../testing/appShapedTables';
import type { PostgresNode } from '../testing/postgresNodes';
import { postgresNodesPerTest } from '../testing/postgresNodes';
import { wirePushes } from '../testing/pushWiring';
import { until } from '../testing/waitUntil';
import { CHANGE_CHANNEL } from './sql';
import { BatchApplier } from './batchApplier';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than the notify gate's "quick succession": each write below is an isolated commit, the gate stays open. */
const APART_MS = 50;

describe('the committed row a capture NOTIFY points at, read from the log', () => {
  const start = postgresNodesPerTest();
  afterEach(() => jest.restoreAllMocks());

  /** Every listener call: the row it was given, or null. */
  const told = async (node: PostgresNode) => {
    const calls: (RowChange | null)[] = [];
    node.store.onChange((row) => calls.push(row ?? null));
    await node.store.listening();
    return calls;
  };

  it('is the row of a transaction whose one write is a single-row INSERT, exactly as the fold and the read then give it', async () => {
    const node = await start(NODE_IDS[0]);
    const calls = await told(node);
    const user = userRow({ name: 'Zoë "quoted" \\ name', created_at: '2024-02-29T23:59:58.123456Z' });
    await node.insert('users', user);
    await until(() => calls.length === 1);
    const batch = (await node.store.readChanges({ forPeer: NODE_IDS[1], cursor: null, limit: 10 })) as ChangeBatch;
    expect(batch.changes).toHaveLength(1);
    expect(calls).toEqual([batch.changes[0]]);
    expect(calls[0]!.values).toEqual(user);
  });

  it('is not there for a multi-row INSERT, an UPDATE or a DELETE, nor for an INSERT its transaction then updates', async () => {
    const node = await start(NODE_IDS[0]);
    const calls = await told(node);
    const [a, b, c, d, e] = [userRow(), userRow(), userRow(), userRow(), userRow()];
    const insert = 'INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, $1)';
    const client = new Client({ connectionString: node.database.url });
    await client.connect();
    /** Runs the statements in one transaction; resolves once the store was told of its commit (and a little after). */
    const committed = async (statements: [string, unknown[]][]) => {
      const before = calls.length;
      await client.query('BEGIN');
      for (const [sql, params] of statements) await client.query(sql, params);
      await client.query('COMMIT');
      await until(() => calls.length > before);
      await sleep(APART_MS);
    };
    try {
      await committed([
        ['INSERT INTO users SELECT * FROM jsonb_populate_recordset(NULL::users, $1)', [JSON.stringify([a, b])]],
      ]);
      await committed([['UPDATE users SET name = $2 WHERE id = $1', [a!.id, 'renamed']]]);
      await committed([['DELETE FROM users WHERE id = $1', [b!.id]]]);
      // the row as first inserted is not what the transaction committed
      await committed([
        [insert, [JSON.stringify(c)]],
        ['UPDATE users SET name = $2 WHERE id = $1', [c!.id, 'renamed']],
      ]);
      // the first statement's row is what the transaction committed for that row: it goes ahead
      await committed([
        [insert, [JSON.stringify(d)]],
        [insert, [JSON.stringify(e)]],
      ]);
    } finally {
      await client.end();
    }
    // one commit, one poke
    expect(calls).toEqual([null, null, null, null, expect.objectContaining({ pk: d!.id, values: d })]);
  });

  it('is read only for a position whose entry is a committed INSERT not folded yet: a forged NOTIFY pokes, nothing more', async () => {
    const node = await start(NODE_IDS[0]);
    const calls = await told(node);
    const user = userRow();
    await node.insert('users', user);
    await until(() => calls.length === 1);
    const position = (await node.app.query<{ seq: string }>('SELECT seq::text FROM msk_sync.capture_log')).rows[0]!.seq;
    await node.store.foldNow(); // the entry is in the change log now
    const forge = async (payload: string) => {
      const before = calls.length;
      await sleep(APART_MS);
      await node.app.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
      await until(() => calls.length > before);
    };
    await forge(position);
    await forge('999999999');
    await forge(JSON.stringify({ t: 'users', k: user.id, h: `${'0'.repeat(20)}${node.nodeId}`, v: user }));
    await forge('-1');
    expect(calls).toEqual([expect.objectContaining({ pk: user.id }), null, null, null, null]);
  });

  describe('pushed to a peer ahead of the log', () => {
    /** A source and a peer wired as the sync service wires them; every push sent is kept. */
    const wire = async () => {
      const source = await start(NODE_IDS[0]);
      const peer = await start(NODE_IDS[1]);
      const pushes = await wirePushes(source, peer);
      return { source, peer, pushes };
    };
    const logState = 'SELECT hlc, column_hlcs, max_hlc, deleted_hlc, origin FROM msk_sync.change_log WHERE pk = $1';

    it("is applied without moving the cursor; the log's push then moves it, and takes the merge, not the fresh-row insert", async () => {
      const { source, peer, pushes } = await wire();
      const cursor = await peer.store.peerCursor(source.nodeId);
      const applyFresh = jest.spyOn(
        BatchApplier.prototype as unknown as { applyFresh: () => Promise<unknown> },
        'applyFresh',
      );
      const user = userRow();
      await source.insert('users', user);
      await until(() => pushes.length === 2);
      await until(async () => !sameCursor(await peer.store.peerCursor(source.nodeId), cursor));
      expect(pushes[0]!.batch.changes).toEqual([
        expect.objectContaining({ pk: user.id, hlc: pushes[1]!.batch.changes[0]!.hlc }),
      ]);
      expect(pushes[0]!.batch.nextCursor).toEqual(cursor);
      expect(await peer.store.peerCursor(source.nodeId)).toEqual(pushes[1]!.batch.nextCursor);
      expect(applyFresh).toHaveBeenCalledTimes(1); // the row ahead; the log's push found it applied already
      expect(await peer.rows('users')).toEqual([user]);
      expect((await peer.app.query(logState, [user.id])).rows).toEqual(
        (await source.app.query(logState, [user.id])).rows,
      );
      expect(
        (await peer.app.query('SELECT last_error FROM msk_sync.peer WHERE node_id = $1', [source.nodeId])).rows[0]
          ?.last_error ?? null,
      ).toBeNull();
    });

    it("never outranks the row's folded state: raised by the clock floor, the folded stamp replaces it everywhere", async () => {
      const { source, peer, pushes } = await wire();
      // a peer's clock ran a minute ahead: the fold stamps local writes above that (captureFold.raiseToFloor)
      await source.app.query(
        'UPDATE msk_sync.node SET clock_floor_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 60000',
      );
      const user = userRow();
      await source.insert('users', user);
      await until(() => pushes.length === 2);
      const [ahead, folded] = [pushes[0]!.batch.changes[0]!, pushes[1]!.batch.changes[0]!];
      expect(folded.hlc > ahead.hlc).toBe(true);
      await until(async () => (await peer.app.query(logState, [user.id])).rows[0]?.hlc === folded.hlc);
      expect((await peer.app.query(logState, [user.id])).rows).toEqual(
        (await source.app.query(logState, [user.id])).rows,
      );
      expect(await peer.rows('users')).toEqual([user]);
    });
  });
});
