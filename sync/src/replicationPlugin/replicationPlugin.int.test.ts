/**
 * The replication plugin inside two real sync services (127.0.31.1-2), each on its own PostgreSQL database:
 * it waits for the app's tables and says so, then a local commit reaches the peer through a poke long before the
 * fallback poll (SYNC_INTERVAL is one minute here).
 */
import { APP_SHAPED_DDL, userRow } from '@msk/replication/testing';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import type { StartedSyncService } from '../service/syncService';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { replicationPlugin } from './replicationPlugin';
import { startTestService } from '../testing/testService';
import { waitForValue as until } from '../testing/waitForValue';
import { queryOnce as sql } from '../testing/queryOnce';

jest.setTimeout(60_000);

const SYNC_INTERVAL_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Inserts a user through one node's database and waits until it is in another's. */
async function insertUserAndAwaitOn(writeUrl: string, readUrl: string, what: string): Promise<void> {
  const user = userRow();
  await sql(writeUrl, 'INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)', [
    user.id,
    user.email,
    user.name,
    user.password_hash,
    user.role,
  ]);
  await until(what, async () =>
    (await sql(readUrl, 'SELECT 1 FROM users WHERE id = $1', [user.id])).length === 1 ? true : undefined,
  );
}

const replicationOf = (service: StartedSyncService) =>
  service.status().replication as { state: string; waitingFor: { missingTables: string[] } | null };

let databases: TestDatabase[] = [];
let a: StartedSyncService;
let b: StartedSyncService;

beforeAll(async () => {
  databases = [await createTestDatabase('repl_plugin_a'), await createTestDatabase('repl_plugin_b')];
  await sql(databases[1]!.url, APP_SHAPED_DDL); // node b's app has run its migrations; node a's has not yet
  const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent', SYNC_INTERVAL: String(SYNC_INTERVAL_MS) });
  const options = { plugins: [replicationPlugin()] };
  a = await startTestService(
    nodeEnv(
      shared,
      { name: 'server-a', ip: '127.0.31.1', peers: ['127.0.31.2:8765'] },
      { DATABASE_URL: databases[0]!.url },
    ),
    options,
  );
  // node b notices its local commits by polling (SYNC_LOCAL_CHANGES=poll:5), node a by NOTIFY (the default)
  b = await startTestService(
    nodeEnv(
      shared,
      { name: 'server-b', ip: '127.0.31.2', peers: ['127.0.31.1:8765'] },
      { DATABASE_URL: databases[1]!.url, SYNC_LOCAL_CHANGES: 'poll:5' },
    ),
    options,
  );
  await until('the two services connecting', () =>
    a.status().peersConnected === 1 && b.status().peersConnected === 1 ? true : undefined,
  );
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  for (const database of databases) await database.drop();
});

describe('the replication plugin', () => {
  it('waits for the app to create the replicated tables and names the missing ones in status', async () => {
    const waiting = await until('node a reporting what it waits for', () =>
      replicationOf(a).waitingFor ? replicationOf(a) : undefined,
    );
    expect(waiting.state).toBe('waiting-for-schema');
    expect(waiting.waitingFor?.missingTables).toEqual(['businesses', 'employees', 'users']);
    expect(await until('node b running', () => (replicationOf(b).state === 'running' ? true : undefined))).toBe(true);
  });

  it('starts replicating once the tables exist, and a commit reaches the peer by a poke, not the fallback poll', async () => {
    await sql(databases[0]!.url, APP_SHAPED_DDL);
    await until('node a running', () => (replicationOf(a).state === 'running' ? true : undefined), 20_000);
    await sleep(500); // the initial loads settle
    const started = Date.now();
    await insertUserAndAwaitOn(databases[0]!.url, databases[1]!.url, 'the user on node b');
    // no pull is scheduled after the last successful one but by a poke: the fallback poll is a minute away
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('with SYNC_LOCAL_CHANGES=poll:5, installs capture without NOTIFY and still hands a local commit to the peer at once', async () => {
    const captureSource = async (url: string) =>
      String((await sql(url, "SELECT prosrc FROM pg_proc WHERE proname = 'capture__users'"))[0]?.prosrc ?? '');
    expect(await captureSource(databases[1]!.url)).not.toMatch(/pg_notify/);
    expect(await captureSource(databases[0]!.url)).toMatch(/pg_notify/);
    const started = Date.now();
    await insertUserAndAwaitOn(databases[1]!.url, databases[0]!.url, 'the user on node a');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("sends a commit's few changes along with the poke: the peer applies them without pulling", async () => {
    const counter = async (service: StartedSyncService, pattern: RegExp) =>
      Number((await service.api.metricsRegistry.metrics()).match(pattern)?.[1] ?? 0);
    const pushed = /msk_sync_replication_pokes_sent_total\{result="pushed"\} (\d+)/;
    const pulls = /msk_sync_replication_request_duration_seconds_count\{kind="pull"\} (\d+)/;
    // Pulls and pokes settle: both counters unchanged over 300 ms (on a busy machine that takes longer).
    const read = async () => [await counter(a, pushed), await counter(b, pulls)] as const;
    const settled = async () => {
      let [pushedThen, pullsThen] = await read();
      for (let attempt = 0; attempt < 50; attempt++) {
        await sleep(300);
        const [pushedNow, pullsNow] = await read();
        if (pushedNow === pushedThen && pullsNow === pullsThen) break;
        [pushedThen, pullsThen] = [pushedNow, pullsNow];
      }
      return [pushedThen, pullsThen] as const;
    };
    const [pushedBefore, pullsBefore] = await settled();
    for (let i = 0; i < 2; i++) await insertUserAndAwaitOn(databases[0]!.url, databases[1]!.url, 'the user on node b');
    // Each commit's row goes ahead of the log, so the second insert can be readable before the first's log push
    // left: then one push carries both. Either way the log came by push, and b never pulled.
    const [pushedAfter, pullsAfter] = await settled();
    expect(pushedAfter - pushedBefore).toBeGreaterThanOrEqual(1);
    expect(pushedAfter - pushedBefore).toBeLessThanOrEqual(2);
    expect(pullsAfter).toBe(pullsBefore);
  });

  it('shows lag, the last batch and errors for the peer in status and in metrics', async () => {
    const peer = await until('a peer row with replication figures', () => {
      const row = b.status().peers[0]?.replication as
        { lag: { changes: number | null; ms: number | null }; lastBatch: unknown } | undefined;
      return row?.lag.changes === 0 ? row : undefined;
    });
    expect(peer).toMatchObject({
      lag: { changes: 0, ms: 0 },
      lastBatch: { kind: 'applied' },
      errors: expect.any(Number),
      conflictsResolved: 0,
    });
    const metrics = await b.api.metricsRegistry.metrics();
    expect(metrics).toMatch(new RegExp(`msk_sync_replication_lag_changes\\{peer="${a.self.id}"\\} 0`));
    expect(metrics).toMatch(/msk_sync_replication_running 1/);
  });
});
