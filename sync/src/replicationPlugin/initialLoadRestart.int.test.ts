/**
 * A joining node restarted in the middle of its paged initial load (127.0.36.1-2, real sync services on real
 * PostgreSQL): it keeps reporting the load in progress — `replication.initialLoad.loading`, which keeps the app out
 * of the load balancer — while it catches up by pulls, and only once its cursor on the source has passed the load's
 * fence is the load done (msk_sync.initial_load cleared, every row there).
 *
 * The load is cut short by a gate in the joining node's database: while the test holds it, moving the cursor on the
 * source a second time fails, so the first page (5,000 of 12,000 rows) commits and nothing after it does.
 */
import { APP_SHAPED_DDL } from '@msk/replication/testing';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import type { StartedSyncService } from '../service/syncService';
import { startTestService } from '../testing/testService';
import { waitForValue as until } from '../testing/waitForValue';
import { queryOnce as sql } from '../testing/queryOnce';
import type { InitialLoadStatus } from './initialLoadStatus';
import { replicationPlugin } from './replicationPlugin';

jest.setTimeout(120_000);

const ROWS = 12_000;
const LOAD_WAIT_MS = 60_000;

const GATE_SQL = `
CREATE TABLE test_gate (held boolean PRIMARY KEY);
INSERT INTO test_gate VALUES (true);
-- counts the refused moves (a sequence: the refusal rolls everything else back)
CREATE SEQUENCE test_gate_refusals;
CREATE FUNCTION test_gate_cursor() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF OLD.cursor_xid IS NOT NULL AND (NEW.cursor_xid, NEW.cursor_seq) IS DISTINCT FROM (OLD.cursor_xid, OLD.cursor_seq)
     AND EXISTS (SELECT 1 FROM test_gate) THEN
    PERFORM nextval('test_gate_refusals');
    RAISE EXCEPTION 'test gate: the cursor may not move past the first page now';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER test_gate_cursor BEFORE UPDATE ON msk_sync.peer FOR EACH ROW EXECUTE FUNCTION test_gate_cursor();
`;

const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent', SYNC_INTERVAL: '1000' });
const envOf = (name: string, ip: string, peer: string, databaseUrl: string) =>
  nodeEnv(shared, { name, ip, peers: [`${peer}:8765`] }, { DATABASE_URL: databaseUrl });

let source: TestDatabase;
let joiner: TestDatabase;
let empty: TestDatabase;
const services: StartedSyncService[] = [];
const start = async (env: Record<string, string>) => {
  const service = await startTestService(env, { plugins: [replicationPlugin()] });
  services.push(service);
  return service;
};
const replication = (service: StartedSyncService) =>
  service.status().replication as { initialLoadPending: boolean | null; initialLoad: InitialLoadStatus | null };
const count = async (url: string, query: string) => Number((await sql(url, query))[0]?.n);

beforeAll(async () => {
  source = await createTestDatabase('load_restart_source');
  joiner = await createTestDatabase('load_restart_joiner');
  for (const database of [source, joiner]) await sql(database.url, APP_SHAPED_DDL);
  await sql(
    source.url,
    `INSERT INTO users (id, email, name, password_hash, role)
     SELECT gen_random_uuid(), 'user-' || n || '@example.com', 'A User', 'x', 'member' FROM generate_series(1, ${ROWS}) n`,
  );
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await source?.drop();
  await joiner?.drop();
  await empty?.drop();
});

describe('a joining node restarted in the middle of its initial load', () => {
  let a: StartedSyncService;
  let fence: string;
  let joinerEnv: Record<string, string>;

  it('records the load in progress with the first page: the source and its fence', async () => {
    // the joiner starts first, alone (its source is not up yet): its store installs msk_sync, then the gate goes in
    joinerEnv = envOf('joiner-b', '127.0.36.2', '127.0.36.1', joiner.url);
    const first = await start(joinerEnv);
    await until('the joiner running', () =>
      (first.status().replication as { state: string }).state === 'running' ? true : undefined,
    );
    expect(replication(first).initialLoad).toMatchObject({ phase: 'due', loading: false, connectedPeers: 0 });
    await sql(joiner.url, GATE_SQL);
    a = await start(envOf('source-a', '127.0.36.1', '127.0.36.2', source.url));
    const loading = await until(
      'the first page applied on the joiner',
      () => {
        const load = replication(first).initialLoad;
        return load?.phase === 'loading' && load.pages >= 1 && load.fence ? load : undefined;
      },
      LOAD_WAIT_MS,
    );
    expect(loading).toMatchObject({ loading: true, source: { id: a.self.id, name: 'source-a' } });
    expect(loading.rowsReceived).toBeGreaterThan(0);
    fence = loading.fence!;
    const recorded = await until('the load recorded in msk_sync.initial_load', async () => {
      const rows = await sql(joiner.url, 'SELECT source_node_id, fence::text AS fence FROM msk_sync.initial_load');
      return rows.length === 1 ? rows[0] : undefined;
    });
    expect(recorded).toEqual({ source_node_id: a.self.id, fence });
    const users = await count(joiner.url, 'SELECT count(*) AS n FROM users');
    expect(users).toBeGreaterThan(0);
    expect(users).toBeLessThan(ROWS);
    await first.stop();
  });

  it('after the restart, still reports the load as in progress while it catches up from the page it reached', async () => {
    const refusedBefore = await count(
      joiner.url,
      'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM test_gate_refusals',
    );
    const b = await start(joinerEnv); // the same node (its ID) on the same database
    const catchingUp = await until(
      'the restarted joiner connected to its source and catching up',
      () => {
        const load = replication(b).initialLoad;
        return load?.phase === 'catching-up' && load.loading ? load : undefined;
      },
      LOAD_WAIT_MS,
    );
    expect(catchingUp).toMatchObject({ source: { id: a.self.id, name: 'source-a' }, fence });
    expect(replication(b).initialLoadPending).toBe(true);
    // a pull from the page it reached was tried and held by the gate: the node still holds part of the data
    await until('a held pull from the source', async () =>
      (await count(joiner.url, 'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM test_gate_refusals')) >
      refusedBefore
        ? true
        : undefined,
    );
    expect(replication(b).initialLoad).toMatchObject({ phase: 'catching-up', loading: true });
    expect(await count(joiner.url, 'SELECT count(*) AS n FROM users')).toBeLessThan(ROWS);

    await sql(joiner.url, 'DELETE FROM test_gate');
    const done = await until(
      'the load done once the pulls passed the fence',
      () => (replication(b).initialLoad?.phase === 'none' ? replication(b) : undefined),
      LOAD_WAIT_MS,
    );
    expect(done.initialLoadPending).toBe(false);
    expect(done.initialLoad?.loading).toBe(false);
    expect(await count(joiner.url, 'SELECT count(*) AS n FROM users')).toBe(ROWS);
    expect(await count(joiner.url, 'SELECT count(*) AS n FROM msk_sync.initial_load')).toBe(0);
    const cursor = await sql(joiner.url, 'SELECT cursor_xid::text AS xid FROM msk_sync.peer WHERE node_id = $1', [
      a.self.id,
    ]);
    expect(BigInt(String(cursor[0]?.xid))).toBeGreaterThanOrEqual(BigInt(fence));
  });

  it("reports a new node's load before its store opens: due, and loading while a peer is connected", async () => {
    empty = await createTestDatabase('load_restart_empty');
    // the app has not created its tables yet: replication waits for them, its store not open
    const c = await start(envOf('new-c', '127.0.36.3', '127.0.36.1', empty.url));
    const due = await until(
      'the new node connected to a peer, waiting for its tables',
      () => {
        const status = c.status();
        const load = replication(c).initialLoad;
        const state = (status.replication as { state: string }).state;
        return state === 'waiting-for-schema' && status.peersConnected === 1 && load?.loading ? load : undefined;
      },
      LOAD_WAIT_MS,
    );
    expect(due).toMatchObject({ phase: 'due', loading: true, source: null, connectedPeers: 1 });
    expect(replication(c).initialLoadPending).toBe(true);
  });
});
