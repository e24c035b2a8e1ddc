/**
 * Moving a cluster from one shared database back to a database per node (docs/database-topology.md, "Moving between
 * the topologies"), with real sync services in this process (127.0.2.85-86) and the plugins `run` starts: two
 * nodes share a database that ran per-node before, the app writes to it (nothing captured), then node 1 keeps that
 * database and node 2 gets a new, empty one, both per-node: node 2 loads everything written meanwhile, and new
 * writes replicate both ways.
 */
import { Pool } from 'pg';
import { installReplication } from '@msk/replication';
import { APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, userRow } from '@msk/replication/testing';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import { until } from '@msk/replication/testing';
import { newNodeId, loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import type { StartedSyncService } from './syncService';
import { startTestService } from '../testing/testService';

jest.setTimeout(90_000);

const IPS = ['127.0.2.85', '127.0.2.86'];
const IDS = [newNodeId(), newNodeId()];
const env = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent' });

let shared: TestDatabase;
let fresh: TestDatabase;
let sharedPool: Pool;
let freshPool: Pool;

async function startPair(topology: 'shared' | 'per-node', urls: readonly string[]): Promise<StartedSyncService[]> {
  const services: StartedSyncService[] = [];
  for (const [i, ip] of IPS.entries()) {
    const node = {
      name: `server-${i + 1}`,
      ip,
      id: IDS[i],
      peers: IPS.filter((o) => o !== ip).map((o) => `${o}:8765`),
    };
    const overrides = { DATABASE_URL: urls[i] as string, DATABASE_TOPOLOGY: topology };
    services.push(await startTestService(nodeEnv(env, node, overrides), { plugins: 'default' }));
  }
  return services;
}

const insertUser = (pool: Pool) => {
  const user = userRow();
  return pool
    .query('INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)', [
      user.id,
      user.email,
      user.name,
      user.password_hash,
      user.role,
    ])
    .then(() => user.id as string);
};
const userIds = async (pool: Pool) =>
  (await pool.query<{ id: string }>('SELECT id::text FROM users ORDER BY id')).rows.map((r) => r.id);

beforeAll(async () => {
  [shared, fresh] = await Promise.all([
    createTestDatabase('to_per_node_shared'),
    createTestDatabase('to_per_node_fresh'),
  ]);
  sharedPool = new Pool({ connectionString: shared.url, max: 2 });
  freshPool = new Pool({ connectionString: fresh.url, max: 2 });
  await sharedPool.query(APP_SHAPED_DDL);
  await freshPool.query(APP_SHAPED_DDL);
  await installReplication(sharedPool, { nodeId: IDS[0] as string, tables: APP_SHAPED_TABLE_NAMES }); // a per-node past
});
afterAll(async () => {
  await Promise.all([sharedPool?.end(), freshPool?.end()]);
  await Promise.all([shared?.drop(), fresh?.drop()]);
});

describe('a cluster moving from one shared database back to a database per node', () => {
  it('loses nothing the app wrote while the nodes shared the database, and replicates both ways afterwards', async () => {
    const sharing = await startPair('shared', [shared.url, shared.url]);
    await until(() => sharing.every((s) => s.status().database?.sharedWith.length === 1), 15_000, 20);
    await until(
      async () =>
        (
          await sharedPool.query(
            `SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = 'users' AND NOT t.tgisinternal`,
          )
        ).rowCount === 0,
      10_000,
      50,
    );
    const writtenWhileShared = [await insertUser(sharedPool), await insertUser(sharedPool)];
    await Promise.all(sharing.map((s) => s.stop()));

    const perNode = await startPair('per-node', [shared.url, fresh.url]);
    try {
      await until(
        () =>
          perNode.every(
            (s) =>
              s.status().database?.detected === 'per-node' &&
              (s.status().replication as { state: string }).state === 'running',
          ),
        20_000,
        50,
      );
      expect(perNode.map((s) => s.status().ready.ok)).toEqual([true, true]);
      await until(async () => (await userIds(freshPool)).length === writtenWhileShared.length, 30_000, 100);
      expect(await userIds(freshPool)).toEqual([...writtenWhileShared].sort());
      const onFresh = await insertUser(freshPool);
      const onShared = await insertUser(sharedPool);
      await until(
        async () => (await userIds(sharedPool)).includes(onFresh) && (await userIds(freshPool)).includes(onShared),
        30_000,
        100,
      );
      expect(await userIds(sharedPool)).toEqual(await userIds(freshPool));
    } finally {
      await Promise.all(perNode.map((s) => s.stop()));
    }
  });
});
