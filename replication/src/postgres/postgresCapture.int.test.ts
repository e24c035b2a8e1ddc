import { Client, Pool } from 'pg';
import type { ChangeBatch } from '../core/protocol';
import { schemaVersionOf } from '../core/tableSchema';
import {
  APP_SHAPED_DDL,
  APP_SHAPED_TABLES,
  APP_SHAPED_TABLE_NAMES,
  NODE_IDS,
  businessRow,
  userRow,
} from '../testing/appShapedTables';
import { type PostgresNode, postgresNodesPerTest } from '../testing/postgresNodes';
import { createTestDatabase } from '../testing/testDatabase';
import { until } from '../testing/waitUntil';
import { tableHashOf } from '../engine/tableHash';
import { ReplicationSetupError } from './install';
import { HASH_PAGE_ROWS, postgresTableHashes } from './tableHashes';
import { CAPTURE_VACUUM_AFTER_ENTRIES, PostgresReplicationStore, type PostgresStoreProps } from './postgresStore';
import { INLINE_APPLY_MAX_CHANGES } from './storeStatements';

/** A store on `connectionString` for `nodeId`, replicating the app-shaped tables unless `props` says otherwise. */
const openStore = (connectionString: string, nodeId: string, props: Partial<PostgresStoreProps> = {}) =>
  PostgresReplicationStore.open({ connectionString, nodeId, tables: [...APP_SHAPED_TABLE_NAMES], ...props });

describe('the PostgreSQL store', () => {
  const start = postgresNodesPerTest();
  /** Node 1 as the source of node 2. */
  const sourceAndTarget = async () => ({ source: await start(NODE_IDS[0]), target: await start(NODE_IDS[1]) });
  /** What `source` serves `target` first (up to 10 states). */
  const firstBatch = async (source: PostgresNode, target: PostgresNode) =>
    (await source.store.readChanges({ forPeer: target.nodeId, cursor: null, limit: 10 })) as ChangeBatch;

  it("introspects the app's own migration (app/migrations) as exactly the tables the in-memory store is given", async () => {
    const node = await start(NODE_IDS[0]);
    expect(node.store.tables).toEqual(APP_SHAPED_TABLES);
    expect(node.store.schemaVersion).toBe(schemaVersionOf(APP_SHAPED_TABLES));
  });

  it("captures values in one canonical form whatever the writing session's time zone and date style", async () => {
    const node = await start(NODE_IDS[0]);
    const business = businessRow({ created_at: '2024-02-29T23:59:58.123456Z' });
    await node.insert('businesses', business); // the app pool runs with TimeZone=Asia/Kolkata, DateStyle=SQL,DMY
    expect(await node.rows('businesses')).toEqual([business]);
    await node.remove('businesses', business.id!);
    await node.store.foldNow();
    const stash = await node.app.query<{ stash: Record<string, string> }>(
      'SELECT stash FROM msk_sync.change_log WHERE pk = $1',
      [business.id],
    );
    expect(stash.rows[0]!.stash).toEqual(business);
  });

  it('refuses a primary key change and TRUNCATE, saying what to do instead', async () => {
    const node = await start(NODE_IDS[0]);
    const user = userRow();
    await node.insert('users', user);
    await expect(
      node.app.query('UPDATE users SET id = $1 WHERE id = $2', ['00000000-0000-7000-8000-000000000001', user.id]),
    ).rejects.toThrow(/primary key of replicated table users can't change/);
    await expect(node.app.query('TRUNCATE users')).rejects.toThrow(
      /TRUNCATE of replicated table users is not replicated/,
    );
  });

  it('refuses to install on a table without one uuid primary key, naming the table and the fix', async () => {
    const database = await createTestDatabase('repl_badpk');
    const admin = new Pool({ connectionString: database.url, max: 1 });
    try {
      await admin.query(
        'CREATE TABLE invoices (id serial PRIMARY KEY, total numeric); CREATE TABLE notes (id uuid PRIMARY KEY, body text)',
      );
      const opening = openStore(database.url, NODE_IDS[0], { tables: ['invoices', 'notes', 'missing'] });
      await expect(opening).rejects.toThrow(ReplicationSetupError);
      await expect(openStore(database.url, NODE_IDS[0], { tables: ['invoices', 'notes'] })).rejects.toThrow(
        /table invoices: primary key id is integer, filled from sequence invoices_id_seq \(serial\): every node hands out the same numbers.*Fix: move it to a UUIDv7 key/,
      );
      await expect(opening).rejects.toThrow(
        /table public.missing does not exist. Fix: run the application's migrations first/,
      );
    } finally {
      await admin.end();
      await database.drop();
    }
  });

  it('refuses a database that already belongs to another node', async () => {
    const node = await start(NODE_IDS[0]);
    await expect(openStore(node.database.url, NODE_IDS[1])).rejects.toThrow(
      /already belongs to node 1111111111111111, not 2222222222222222/,
    );
  });

  it('replicates rows that existed before capture was installed', async () => {
    const database = await createTestDatabase('repl_backfill');
    const app = new Pool({ connectionString: database.url, max: 1 });
    const user = userRow();
    let store: PostgresReplicationStore | undefined;
    try {
      await app.query(APP_SHAPED_DDL);
      await app.query('INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, $1)', [JSON.stringify(user)]);
      store = await openStore(database.url, NODE_IDS[0]);
      const batch = (await store.readChanges({ forPeer: NODE_IDS[1], cursor: null, limit: 10 })) as ChangeBatch;
      expect(batch.changes.map((change) => change.values)).toEqual([user]);
    } finally {
      await store?.close();
      await app.end();
      await database.drop();
    }
  });

  it('a batch that PostgreSQL rejects applies nothing and keeps the cursor', async () => {
    const { source, target } = await sourceAndTarget();
    await source.insert('businesses', businessRow());
    await source.insert('users', userRow());
    const batch = await firstBatch(source, target);
    const upperCase = batch.changes.map((change) =>
      change.table === 'users' ? { ...change, values: { ...change.values, email: 'UPPER@EXAMPLE.COM' } } : change,
    );
    const outcome = await target.store.applyBatch(source.nodeId, { ...batch, changes: upperCase });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.problems[0]).toMatch(/nothing was applied: .*users_email_check/);
    expect(await target.rows('businesses')).toEqual([]);
    const progress = (await target.store.peerProgress()).find((peer) => peer.peerId === source.nodeId);
    expect(progress).toMatchObject({ cursor: null, errors: 1 });
    expect(await target.store.applyBatch(source.nodeId, batch)).toMatchObject({ ok: true, applied: 2 });
  });

  it('refuses an apply when the database lost the cursor it last committed (a crash), and pulls the lost changes again', async () => {
    const { source, target } = await sourceAndTarget();
    const first = userRow();
    await source.insert('users', first);
    const batch1 = await firstBatch(source, target);
    expect(await target.store.applyBatch(source.nodeId, batch1)).toMatchObject({ ok: true, applied: 1 });
    // what a kill -9 of PostgreSQL can do to an asynchronously committed apply: its row and its cursor are gone
    await target.app.query(
      "SET msk.origin = 'ffffffffffffffff'; DELETE FROM users WHERE id = $1; DELETE FROM msk_sync.change_log WHERE pk = $1; UPDATE msk_sync.peer SET cursor_xid = NULL, cursor_seq = NULL; RESET msk.origin".replace(
        /\$1/g,
        `'${first.id}'`,
      ),
    );
    const second = userRow();
    await source.insert('users', second);
    const batch2 = (await source.store.readChanges({
      forPeer: target.nodeId,
      cursor: batch1.nextCursor,
      limit: 10,
    })) as ChangeBatch;
    const refused = await target.store.applyBatch(source.nodeId, batch2);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.problems[0]).toMatch(
      /not where this service last left it .*nothing was applied; pulling again from the stored cursor/,
    );
    expect(await target.rows('users')).toEqual([]);
    // the next pull starts from the cursor the database kept, so the lost change comes again
    const cursor = await target.store.peerCursor(source.nodeId);
    expect(cursor).toBeNull();
    const again = (await source.store.readChanges({ forPeer: target.nodeId, cursor, limit: 10 })) as ChangeBatch;
    expect(await target.store.applyBatch(source.nodeId, again)).toMatchObject({ ok: true, applied: 2 });
    expect((await target.rows('users')).map((row) => row.id).sort()).toEqual([first.id, second.id].sort());
  });

  it.each([
    ['a small batch, written in one round trip with its values inlined as literals', 3],
    ['a large batch, written with array parameters', INLINE_APPLY_MAX_CHANGES + 5],
  ])('applies awkward text exactly: %s', async (_, count) => {
    const { source, target } = await sourceAndTarget();
    const awkward = [
      `O'Brien "quoted" \\ back\\slash`,
      '{a,b}',
      'NULL',
      '',
      ' spaced ',
      'new\nline',
      'ünïcödé ✓',
      "'; DROP TABLE users; --",
    ];
    const rows = Array.from({ length: count }, (_, i) =>
      businessRow({
        name: awkward[i % awkward.length]!,
        address: i % 2 === 0 ? null : awkward[(i + 3) % awkward.length]!,
      }),
    );
    for (const row of rows) await source.insert('businesses', row);
    const batch = (await source.store.readChanges({
      forPeer: target.nodeId,
      cursor: null,
      limit: 1000,
    })) as ChangeBatch;
    expect(batch.changes).toHaveLength(count);
    expect(await target.store.applyBatch(source.nodeId, batch)).toMatchObject({ ok: true, applied: count });
    const byId = (list: Record<string, unknown>[]) =>
      [...list].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(byId(await target.rows('businesses'))).toEqual(byId(rows));
  });

  it("records an applied state with its writer as origin and the writer's own stamps (capture stands aside)", async () => {
    const { source, target } = await sourceAndTarget();
    const user = userRow();
    await source.insert('users', user);
    const batch = await firstBatch(source, target);
    await target.store.applyBatch(source.nodeId, batch);
    const query = 'SELECT origin, hlc, column_hlcs FROM msk_sync.change_log WHERE pk = $1';
    const atSource = (await source.app.query(query, [user.id])).rows[0];
    const atTarget = (await target.app.query(query, [user.id])).rows[0];
    expect(atTarget).toEqual({ ...atSource, origin: source.nodeId });
    expect(atSource.hlc.slice(20)).toBe(source.nodeId);
  });

  it('applies new rows by the fast path with exactly the states the full merge writes', async () => {
    const source = await start(NODE_IDS[0]);
    const fast = await start(NODE_IDS[1]);
    const merged = await start(NODE_IDS[2]);
    const business = businessRow();
    const users = [userRow(), userRow(), userRow()];
    await source.insert('businesses', business);
    for (const user of users) await source.insert('users', user);
    const batch = (await source.store.readChanges({ forPeer: fast.nodeId, cursor: null, limit: 10 })) as ChangeBatch;
    // a local write of the same business waiting in the capture log sends the whole batch through the merge
    await merged.app.query(
      "SET msk.origin = 'ffffffffffffffff'; INSERT INTO msk_sync.capture_log (xid, seq, tbl, pk, op, hlc) VALUES (pg_current_xact_id(), 1, 'businesses', $1, 'D', $2)"
        .replace('$1', `'${business.id}'`)
        .replace('$2', `'${'0'.repeat(20)}${merged.nodeId}'`),
    );
    expect(await fast.store.applyBatch(source.nodeId, batch)).toEqual({
      ok: true,
      applied: 4,
      unchanged: 0,
      pending: 0,
      conflicts: [],
      cursor: batch.nextCursor,
    });
    expect(await merged.store.applyBatch(source.nodeId, batch)).toMatchObject({
      ok: true,
      applied: 4,
      cursor: batch.nextCursor,
    });
    const states =
      'SELECT tbl, pk, hlc, column_hlcs, max_hlc, deleted_hlc, stash, pending_parent, origin FROM msk_sync.change_log ORDER BY pk';
    expect((await fast.app.query(states)).rows).toEqual((await merged.app.query(states)).rows);
    expect((await fast.app.query(states)).rows).toHaveLength(4);
    for (const table of ['businesses', 'users']) expect(await fast.rows(table)).toEqual(await merged.rows(table));
    expect(await fast.store.peerCursor(source.nodeId)).toEqual(batch.nextCursor);
  });

  it('a pull folds new rows with its read in one round trip, and an update still goes through the full fold', async () => {
    const { source, target } = await sourceAndTarget();
    const pull = async (cursor: ChangeBatch['nextCursor'] | null) => {
      const batch = (await source.store.readChanges({ forPeer: target.nodeId, cursor, limit: 100 })) as ChangeBatch;
      expect(await target.store.applyBatch(source.nodeId, batch)).toMatchObject({ ok: true });
      return batch;
    };
    const users = [userRow(), userRow()];
    await source.insert('users', users[0]!);
    let batch = await pull(null);
    await source.update('users', users[0]!.id!, { name: 'renamed' }); // needs foldCaptured: the one-trip fold refuses it
    await source.insert('users', users[1]!);
    batch = await pull(batch.nextCursor);
    expect(batch.changes.map((change) => change.pk).sort()).toEqual(users.map((user) => user.id).sort());
    expect(batch.changes.find((change) => change.pk === users[0]!.id)?.columnHlcs).toHaveProperty('name');
    await source.insert('users', userRow());
    batch = await pull(batch.nextCursor);
    expect(batch.changes).toHaveLength(1);
    expect((await source.app.query('SELECT 1 FROM msk_sync.capture_log')).rowCount).toBe(0);
    expect(await target.rows('users')).toEqual(await source.rows('users'));
  });

  it('a new row deleted locally before the fold is not brought back by the fast path', async () => {
    const { source, target } = await sourceAndTarget();
    const user = userRow();
    await source.insert('users', user);
    const batch = await firstBatch(source, target);
    // the same row written and deleted on the target later, its capture entries not folded yet
    await target.insert('users', user);
    await target.remove('users', user.id!);
    expect((await target.app.query('SELECT 1 FROM msk_sync.change_log')).rowCount).toBe(0);
    expect(await target.store.applyBatch(source.nodeId, batch)).toMatchObject({ ok: true });
    expect(await target.rows('users')).toEqual([]);
    const state = (await target.app.query('SELECT deleted_hlc FROM msk_sync.change_log WHERE pk = $1', [user.id]))
      .rows[0];
    expect(state.deleted_hlc > batch.changes[0]!.hlc).toBe(true);
  });

  it("stamps local writes after a peer's stamp from the future above that stamp (the clock moves forward)", async () => {
    const { source, target } = await sourceAndTarget();
    const user = userRow();
    await source.insert('users', user);
    const batch = await firstBatch(source, target);
    const aheadMs = Date.now() + 30_000;
    const futureHlc = aheadMs.toString(16).padStart(12, '0') + '00000005' + source.nodeId;
    expect(
      await target.store.applyBatch(source.nodeId, {
        ...batch,
        changes: batch.changes.map((c) => ({ ...c, hlc: futureHlc })),
      }),
    ).toMatchObject({ ok: true });
    await target.update('users', user.id!, { name: 'edited right after' });
    await target.store.foldNow();
    const row = (await target.app.query('SELECT column_hlcs FROM msk_sync.change_log WHERE pk = $1', [user.id]))
      .rows[0];
    expect(row.column_hlcs.name > futureHlc).toBe(true);
    const floor = (await target.app.query('SELECT clock_floor_ms::text AS ms FROM msk_sync.node')).rows[0];
    expect(Number(floor.ms)).toBe(aheadMs);
    await target.insert('users', userRow());
    await target.store.foldNow();
    const fresh = await target.app.query(`SELECT hlc FROM msk_sync.change_log WHERE origin = $1 AND pk <> $2`, [
      target.nodeId,
      user.id,
    ]);
    expect(fresh.rows[0].hlc >= aheadMs.toString(16).padStart(12, '0')).toBe(true);
  });

  it("only appends to the capture log in the writer's transaction; the sync service folds it into the change log", async () => {
    const node = await start(NODE_IDS[0]);
    const user = userRow();
    await node.insert('users', user);
    await node.update('users', user.id!, { name: 'second name' });
    const captured = await node.app.query('SELECT op, changed FROM msk_sync.capture_log WHERE pk = $1 ORDER BY seq', [
      user.id,
    ]);
    expect(captured.rows).toEqual([
      { op: 'I', changed: null },
      { op: 'U', changed: ['name'] },
    ]);
    expect((await node.app.query('SELECT 1 FROM msk_sync.change_log WHERE pk = $1', [user.id])).rowCount).toBe(0);
    expect(await node.store.foldNow()).toBe(2); // two entries, folded into one row state
    expect((await node.app.query('SELECT 1 FROM msk_sync.capture_log')).rowCount).toBe(0);
    const state = (
      await node.app.query('SELECT hlc, column_hlcs, origin FROM msk_sync.change_log WHERE pk = $1', [user.id])
    ).rows[0];
    expect(state.origin).toBe(node.nodeId);
    expect(Object.keys(state.column_hlcs)).toEqual(['name']);
    expect(state.column_hlcs.name > state.hlc).toBe(true);
  });

  it('vacuums the capture log once CAPTURE_VACUUM_AFTER_ENTRIES entries were folded, however small each fold was', async () => {
    const node = await start(NODE_IDS[0]);
    const manualVacuums = async () =>
      Number(
        (
          await node.app.query(
            "SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE schemaname = 'msk_sync' AND relname = 'capture_log'",
          )
        ).rows[0].n,
      );
    const foldSize = Math.ceil(CAPTURE_VACUUM_AFTER_ENTRIES / 10);
    for (let fold = 0; fold < 10; fold++) {
      const rows = Array.from({ length: foldSize }, () => userRow());
      await node.app.query('INSERT INTO users SELECT * FROM jsonb_populate_recordset(NULL::users, $1)', [
        JSON.stringify(rows),
      ]);
      expect(await node.store.foldNow()).toBe(foldSize);
      if (fold < 9) expect(await manualVacuums()).toBe(0);
    }
    // the VACUUM runs beside the fold that reached the count
    await until(async () => (await manualVacuums()) > 0, 3000, 20);
    expect(await manualVacuums()).toBe(1);
  });

  it('hashes tables page by page to the same value as their rows', async () => {
    const node = await start(NODE_IDS[0]);
    const rows = Array.from({ length: HASH_PAGE_ROWS + 5 }, () => userRow());
    await node.app.query('INSERT INTO users SELECT * FROM jsonb_populate_recordset(NULL::users, $1)', [
      JSON.stringify(rows),
    ]);
    const hashes = await postgresTableHashes(node.app, node.store.tables);
    expect(hashes.users).toBe(tableHashOf(rows));
    expect(hashes.users).toMatch(new RegExp(`^${HASH_PAGE_ROWS + 5}:`));
    expect(hashes.businesses).toBe(tableHashOf([]));
  });

  it('tells listeners about a local commit at once (LISTEN/NOTIFY)', async () => {
    const node = await start(NODE_IDS[0]);
    const poked = new Promise<number>((resolve) => node.store.onChange(() => resolve(Date.now())));
    await node.store.listening();
    const committedMs = Date.now();
    await node.insert('users', userRow());
    expect((await poked) - committedMs).toBeLessThan(1000);
  });

  it('in poll mode, installs no NOTIFY and still tells listeners about a local commit', async () => {
    const node = await start(NODE_IDS[0]);
    const polling = await openStore(node.database.url, node.nodeId, { poke: { mode: 'poll', pollIntervalMs: 5 } });
    try {
      const triggers = await node.app.query(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'users'::regclass AND NOT tgisinternal ORDER BY tgname",
      );
      expect(triggers.rows.map((row) => row.tgname)).toEqual([
        'msk_sync_capture_delete',
        'msk_sync_capture_insert',
        'msk_sync_capture_update',
        'msk_sync_key_guard',
        'msk_sync_refuse_truncate',
      ]);
      const poked = new Promise<void>((resolve) => polling.onChange(() => resolve()));
      await polling.listening();
      await node.insert('users', userRow());
      await poked;
    } finally {
      await polling.close();
    }
  });

  it('refuses a poll interval below the minimum, naming the option', async () => {
    const node = await start(NODE_IDS[0]);
    await expect(
      openStore(node.database.url, node.nodeId, { tables: ['users'], poke: { mode: 'poll', pollIntervalMs: 0 } }),
    ).rejects.toThrow(/poke.pollIntervalMs must be at least 1 ms/);
  });

  it('does not poke for a transaction that rolled back', async () => {
    const node = await start(NODE_IDS[0]);
    let pokes = 0;
    node.store.onChange(() => (pokes += 1));
    await node.store.listening();
    const client = new Client({ connectionString: node.database.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, $1)', [
        JSON.stringify(userRow()),
      ]);
      await client.query('ROLLBACK');
    } finally {
      await client.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pokes).toBe(0);
    const batch = (await node.store.readChanges({ forPeer: NODE_IDS[1], cursor: null, limit: 10 })) as ChangeBatch;
    expect(batch.changes).toEqual([]);
  });
});
