/**
 * Nodes sharing one PostgreSQL (DATABASE_TOPOLOGY=shared), with three sync services in this process on 127.0.2.80-82
 * and the plugins `run` starts (defaultPlugins): server-1 and server-2 on one real database that ran per-node before
 * (capture installed), server-3 pointed at another database by mistake.
 */
import { Pool } from 'pg';
import { installReplication } from '@msk/replication';
import { APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, NODE_IDS, userRow } from '@msk/replication/testing';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import { until } from '@msk/replication/testing';
import { formatStatus } from '../status/statusTable';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { fakeIdentity, handshake, request, signedHeaders } from '../testing/fakePeer';
import type { StartedSyncService } from './syncService';
import { startTestService } from '../testing/testService';

jest.setTimeout(60_000);

const IPS = ['127.0.2.80', '127.0.2.81', '127.0.2.82'];
const peersOf = (i: number) => IPS.filter((_, j) => j !== i).map((ip) => `${ip}:8765`);

let shared: TestDatabase;
let other: TestDatabase;
let sharedPool: Pool;
const services: StartedSyncService[] = [];

async function start(i: number, databaseUrl: string, env: Record<string, string>): Promise<StartedSyncService> {
  const service = await startTestService(
    nodeEnv(env, { name: `server-${i + 1}`, ip: IPS[i] as string, peers: peersOf(i) }, { DATABASE_URL: databaseUrl }),
    { plugins: 'default' },
  );
  services.push(service);
  return service;
}

const captureTriggers = async () =>
  Number(
    (
      await sharedPool.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
      )
    ).rows[0]?.n,
  );
const syncRelations = async () =>
  Number(
    (
      await sharedPool.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'msk_sync'`,
      )
    ).rows[0]?.n,
  );

let env: Record<string, string>;
let one: StartedSyncService;
let two: StartedSyncService;

beforeAll(async () => {
  [shared, other] = await Promise.all([createTestDatabase('shared_db'), createTestDatabase('shared_other')]);
  sharedPool = new Pool({ connectionString: shared.url, max: 2 });
  await sharedPool.query(APP_SHAPED_DDL);
  // The database ran per-node before: a node's capture is installed on it.
  await installReplication(sharedPool, { nodeId: NODE_IDS[0], tables: APP_SHAPED_TABLE_NAMES });
  env = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent', DATABASE_TOPOLOGY: 'shared' });
  one = await start(0, shared.url, env);
  two = await start(1, shared.url, env);
  await until(
    () => one.status().database?.sharedWith.length === 1 && two.status().database?.sharedWith.length === 1,
    15_000,
    20,
  );
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await sharedPool?.end();
  await Promise.all([shared?.drop(), other?.drop()]);
});

describe('nodes that share one database', () => {
  it('connect, agree, and each says the database is shared with the other', () => {
    for (const [service, peer] of [
      [one, 'server-2'],
      [two, 'server-1'],
    ] as const) {
      const status = service.status();
      expect(status.peersConnected).toBe(1);
      expect(status.agreement.ok).toBe(true);
      expect(status.database).toMatchObject({
        declared: 'shared',
        detected: 'shared',
        sharedWith: [peer],
        problem: null,
        replication: false,
      });
      expect(status.ready).toEqual({ ok: true, reasons: [] });
      const text = formatStatus(status);
      expect(text).toMatch(/^Peers Connected: 1$/m);
      expect(text).toContain(`Database: shared with ${peer} (DATABASE_TOPOLOGY=shared, capture and replication off`);
      expect(text).toContain('Replication: off (the nodes share one database)');
    }
  });

  it("leave nothing installed that costs the app's writes: the capture triggers and change log of the per-node past are gone", async () => {
    await until(async () => (await captureTriggers()) === 0 && (await syncRelations()) === 0, 10_000, 50);
    const user = userRow();
    await sharedPool.query('INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)', [
      user.id,
      user.email,
      user.name,
      user.password_hash,
      user.role,
    ]);
    expect(await captureTriggers()).toBe(0);
    expect(await syncRelations()).toBe(0);
    expect(one.status().replication).toMatchObject({ state: 'off', lastError: null });
  });

  it('show it in the metrics: one peer on the same database, not replicated, not refused', async () => {
    const text = await (await fetch(`http://${IPS[0]}:${one.metricsPort}/metrics`)).text();
    expect(text).toMatch(/^msk_sync_database_shared_with_peers 1$/m);
    expect(text).toMatch(/^msk_sync_database_replicated 0$/m);
    expect(text).toMatch(/^msk_sync_database_topology_refused 0$/m);
  });

  it('refuse a node whose database is another one, naming it on every node; only that node fails readiness', async () => {
    const three = await start(2, other.url, env);
    await until(
      () =>
        three.status().peersConnected === 2 &&
        three.status().database?.detected === 'mixed' &&
        one.status().database?.detected === 'mixed',
      15_000,
      20,
    );
    const problem =
      "a cluster's nodes must all share one database or each have their own, but server-1 and server-2 share one database; server-3 has its own; refused: server-3";
    expect(three.status().database?.problem).toContain(problem);
    expect(three.status().database?.thisNodeRefused).toBe(true);
    expect(three.status().ready.ok).toBe(false);
    expect(three.status().ready.reasons.join('\n')).toContain(`database topology refused: ${problem}`);
    expect(formatStatus(three.status())).toContain(
      `Problems:\n  database topology (this node is refused: its readiness fails): ${problem}`,
    );
    for (const service of [one, two]) {
      expect(service.status().database?.problem).toContain(problem);
      expect(service.status().ready.ok).toBe(true);
    }
  });

  it("drops a peer's malformed database claim with 400 and counts it, and answers a well-formed one with a fingerprint only", async () => {
    const mallory = fakeIdentity({ name: 'mallory' });
    const session = await handshake(`${IPS[0]}:8765`, env.SYNC_REGISTRATION_KEY as string, mallory);
    const post = (json: string) => {
      const body = Buffer.from(json);
      return request(
        `${IPS[0]}:8765`,
        'POST',
        '/sync/v1/database',
        body,
        signedHeaders(session, mallory.id, 'POST', '/sync/v1/database', body),
      );
    };
    for (const hostile of [
      '{"database":"NOT-HEX"}',
      '{"database":"' + 'a'.repeat(33) + '"}',
      '{"database":null,"systemIdentifier":"1"}',
      '[]',
      '{"database":42}',
    ]) {
      expect((await post(hostile)).status).toBe(400);
    }
    const metrics = await (await fetch(`http://${IPS[0]}:${one.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^msk_sync_dropped_messages_total\{reason="malformed",source="database"\} 5$/m);
    expect(one.status().database?.sharedWith).toEqual(['server-2']);

    const claim = await post(JSON.stringify({ database: 'f'.repeat(32) }));
    expect(claim.status).toBe(200);
    expect(claim.json).toEqual({ database: expect.stringMatching(/^[0-9a-f]{32}$/) }); // this node's fingerprint, not its identity
    // (The fake peer listens nowhere, so the service soon drops it as unreachable; how a claim of another database
    // is judged is core/databaseTopology.test.ts.)
  });
});

describe('nodes declared per-node that share one database by mistake', () => {
  let database: TestDatabase;
  const pair: StartedSyncService[] = [];
  const PAIR_IPS = ['127.0.2.83', '127.0.2.84'];

  beforeAll(async () => {
    database = await createTestDatabase('per_node_shared');
    const pairEnv = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent' }); // DATABASE_TOPOLOGY unset: per-node
    for (const [i, ip] of PAIR_IPS.entries()) {
      const peers = PAIR_IPS.filter((other) => other !== ip).map((other) => `${other}:8765`);
      const env = nodeEnv(pairEnv, { name: `pair-${i + 1}`, ip, peers }, { DATABASE_URL: database.url });
      pair.push(await startTestService(env, { plugins: 'default' }));
    }
    await until(() => pair.every((s) => s.status().database?.detected === 'shared'), 15_000, 20);
  });
  afterAll(async () => {
    await Promise.all(pair.map((s) => s.stop()));
    await database?.drop();
  });

  it('are both refused, by name, and both fail readiness: two sync services would replicate one database into itself', () => {
    for (const service of pair) {
      const status = service.status();
      expect(status.database).toMatchObject({
        declared: 'per-node',
        detected: 'shared',
        thisNodeRefused: true,
        replication: true,
      });
      expect(status.database?.problem).toContain(
        'pair-1 and pair-2 share one database but DATABASE_TOPOLOGY is per-node',
      );
      expect(status.database?.problem).toContain('set DATABASE_TOPOLOGY=shared on every node');
      expect(status.ready.ok).toBe(false);
    }
  });
});
