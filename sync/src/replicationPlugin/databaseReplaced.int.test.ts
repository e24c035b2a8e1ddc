/**
 * A sync service whose database is restored under it (msk restore through `docker compose exec` or `kubectl exec`,
 * where the operator did not stop it first) must not go on with what it keeps in memory (its cursors, the
 * incarnation it sends): it notices the new incarnation and stops, so its supervisor starts it afresh.
 */
import { APP_SHAPED_DDL } from '@msk/replication/testing';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import type { StartedSyncService } from '../service/syncService';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { STATUS_REFRESH_INTERVAL_MS, replicationPlugin } from './replicationPlugin';
import { startTestService } from '../testing/testService';
import { waitForValue as until } from '../testing/waitForValue';
import { queryOnce as sql } from '../testing/queryOnce';

jest.setTimeout(60_000);

let database: TestDatabase;
let service: StartedSyncService;
const replaced: Array<{ opened: string; found: string }> = [];

beforeAll(async () => {
  database = await createTestDatabase('repl_database_replaced');
  await sql(database.url, APP_SHAPED_DDL);
  service = await startTestService(
    nodeEnv(
      loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent' }),
      { name: 'server-r', ip: '127.0.31.9' },
      { DATABASE_URL: database.url },
    ),
    { plugins: [replicationPlugin({ onDatabaseReplaced: (details) => replaced.push(details) })] },
  );
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
