/**
 * A sync service whose database is restored under it (msk restore through `docker compose exec` or `kubectl exec`,
 * where the operator did not stop it first) must not go on with what it keeps in memory (its cursors, the
 * incarnation it sends): it notices the new incarnation and stops, so its supervisor starts it afresh.
 */
import { Client } from 'pg';
import { validateNodeEnvironment } from '@msk/contract';
import { APP_SHAPED_DDL } from '@msk/replication/testing';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import { createLogger } from '../service/logger';
import { type StartedSyncService, startSyncService } from '../service/syncService';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { STATUS_REFRESH_INTERVAL_MS, replicationPlugin } from './replicationPlugin';

jest.setTimeout(60_000);

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let database: TestDatabase;
let service: StartedSyncService;
const replaced: Array<{ opened: string; found: string }> = [];

beforeAll(async () => {
  database = await createTestDatabase('repl_database_replaced');
  await sql(database.url, APP_SHAPED_DDL);
  const report = validateNodeEnvironment(
    nodeEnv(
      loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent' }),
      { name: 'server-r', ip: '127.0.31.9' },
      { DATABASE_URL: database.url },
    ),
    'sync',
  );
  if (!report.config) throw new Error(JSON.stringify(report.problems));
  service = await startSyncService(report.config, {
    plugins: [replicationPlugin({ onDatabaseReplaced: (details) => replaced.push(details) })],
    collectProcessMetrics: false,
    logger: createLogger('silent', {}),
  });
});

afterAll(async () => {
  await service?.stop();
  await database?.drop();
});

it('a sync service whose database gets a new incarnation under it says so and asks to be restarted, once', async () => {
  const replication = () => service.status().replication as { state: string; lastError: string | null };
  await until('replication running', () => (replication().state === 'running' ? true : undefined));
  const [{ incarnation: opened }] = (await sql(database.url, 'SELECT incarnation FROM msk_sync.node')) as [
    { incarnation: string },
  ];
  expect(opened).toMatch(/^[0-9a-f]{32}$/);
  await new Promise((resolve) => setTimeout(resolve, STATUS_REFRESH_INTERVAL_MS + 500));
  expect(replaced).toEqual([]); // its own incarnation is no news
  await sql(database.url, "UPDATE msk_sync.node SET incarnation = md5('restored')");
  await until('the service noticing the restore', () => (replaced.length > 0 ? true : undefined));
  expect(replaced).toEqual([{ opened, found: (await sql(database.url, "SELECT md5('restored') AS m"))[0]!.m }]);
  expect(replication().lastError).toMatch(/restored under this service/);
  await new Promise((resolve) => setTimeout(resolve, STATUS_REFRESH_INTERVAL_MS + 500));
  expect(replaced).toHaveLength(1);
});
