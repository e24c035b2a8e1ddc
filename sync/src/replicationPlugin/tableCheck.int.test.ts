/**
 * The start-up check of REPLICATED_TABLES against a live schema (real PostgreSQL, two real sync services on
 * 127.0.33.1-2): an app whose schema has a serial-keyed table, a table without a primary key and an array column
 * beside good tables (a foreign key, a unique email) is refused with every problem and its fix, replication stays
 * off and readiness fails; the migration that fixes the schema is picked up without a restart, and then the
 * foreign key and the unique constraint work as the engine promises (a unique conflict resolved and recorded).
 */
import { randomUUID } from 'node:crypto';
import { type TestDatabase, createTestDatabase } from '@msk/replication/testing';
import type { StartedSyncService } from '../service/syncService';
import { formatStatus } from '../status/statusTable';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { replicationPlugin } from './replicationPlugin';
import { startTestService } from '../testing/testService';
import { waitForValue } from '../testing/waitForValue';
import { queryOnce as sql } from '../testing/queryOnce';

jest.setTimeout(90_000);

const THEIR_SCHEMA = `
CREATE TABLE customers (id uuid PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
CREATE TABLE orders (id uuid PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE, total numeric(10,2) NOT NULL);
CREATE TABLE invoices (id serial PRIMARY KEY, total numeric NOT NULL);
CREATE TABLE audit_log (at timestamptz NOT NULL DEFAULT now(), what text NOT NULL);
CREATE TABLE posts (id uuid PRIMARY KEY, title text NOT NULL, tags text[] NOT NULL DEFAULT '{}');
INSERT INTO invoices (total) VALUES (10), (20);
INSERT INTO audit_log (what) VALUES ('created');
`;

/** The migration an operator writes from the fixes (on PostgreSQL 17: gen_random_uuid(), UUIDv7 from the app). */
const THEIR_FIX = `
ALTER TABLE invoices ADD COLUMN uuid_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE invoices DROP CONSTRAINT invoices_pkey, ADD PRIMARY KEY (uuid_id);
ALTER TABLE invoices ALTER COLUMN id DROP DEFAULT;
ALTER TABLE audit_log ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY;
ALTER TABLE posts ALTER COLUMN tags DROP DEFAULT, ALTER COLUMN tags TYPE jsonb USING to_jsonb(tags);
`;

const TABLES = 'customers,orders,invoices,audit_log,posts';

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  waitForValue(what, probe, 30_000);

interface ReplicationStatus {
  state: string;
  refused: { problems: Array<{ table: string; kind: string; message: string; fix: string }> } | null;
  conflicts: { resolved: number; recent: Array<{ table: string; renamedColumn: string }> };
}
const replicationOf = (service: StartedSyncService) => service.status().replication as ReplicationStatus;

let databases: TestDatabase[] = [];
const services: StartedSyncService[] = [];
const start = (env: Record<string, string>) => startTestService(env, { plugins: [replicationPlugin()] });
const envs: Record<string, string>[] = [];

beforeAll(async () => {
  databases = [await createTestDatabase('table_check_a'), await createTestDatabase('table_check_b')];
  for (const database of databases) await sql(database.url, THEIR_SCHEMA);
  const shared = loopbackSharedEnv({
    SYNC_LOG_LEVEL: 'silent',
    SYNC_INTERVAL: '60000',
    SYNC_TLS: 'off',
    REPLICATED_TABLES: TABLES,
  });
  const addresses = ['127.0.33.1', '127.0.33.2'];
  for (const [index, database] of databases.entries()) {
    const env = nodeEnv(
      shared,
      { name: `their-app-${index + 1}`, ip: addresses[index]!, peers: [`${addresses[1 - index]}:8765`] },
      { DATABASE_URL: database.url },
    );
    envs.push(env);
    services.push(await start(env));
  }
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  for (const database of databases) await database.drop();
});

describe('the start-up check of the replicated tables against the live schema', () => {
  it('refuses the tables with every problem named at once, each with its fix, and keeps replication off', async () => {
    for (const service of services) {
      const replication = await until('the check refusing the tables', () =>
        replicationOf(service).state === 'refused' ? replicationOf(service) : undefined,
      );
      expect(replication.refused?.problems.map((p) => `${p.table}:${p.kind}`)).toEqual([
        'invoices:sequence-key',
        'audit_log:no-primary-key',
        'posts:unsupported-type',
      ]);
      const [serial, noKey, array] = replication.refused!.problems;
      expect(serial?.message).toMatch(
        /^table invoices: primary key id is integer, filled from sequence invoices_id_seq \(serial\): every node hands out the same numbers/,
      );
      expect(serial?.fix).toMatch(
        /ALTER TABLE invoices ADD COLUMN uuid_id uuid NOT NULL DEFAULT (gen_random_uuid|uuidv7)\(\)/,
      );
      expect(noKey?.fix).toMatch(
        /ALTER TABLE audit_log ADD COLUMN id uuid NOT NULL DEFAULT (gen_random_uuid|uuidv7)\(\) PRIMARY KEY/,
      );
      expect(array?.message).toBe(
        'table posts: column tags is of type text[], an array, which replication cannot carry yet',
      );
    }
    // nothing installed: capture stays off the app's tables while they are refused
    expect(
      await sql(
        databases[0]!.url,
        "SELECT 1 FROM pg_trigger WHERE tgname LIKE 'msk_sync%' OR tgfoid::regproc::text LIKE 'msk_sync.%'",
      ),
    ).toEqual([]);
  });

  it('fails readiness, lists each problem under Problems in status, and shows them in the metrics', async () => {
    const [a] = services as [StartedSyncService];
    const ready = await fetch(`http://127.0.33.1:${a.port}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toContainEqual(
      expect.stringMatching(
        /^replication refused: REPLICATED_TABLES names tables the engine cannot replicate as they are \(3 problems/,
      ),
    );
    const table = formatStatus(a.status());
    expect(table).toMatch(
      /Problems:\n(.*\n)* {2}replication refused: table invoices: primary key id is integer.*Fix: move it to a UUIDv7 key/,
    );
    expect(table).toMatch(/ {2}replication refused: table audit_log has no primary key.*Fix: /);
    expect(table).toMatch(
      / {2}replication refused: table posts: column tags is of type text\[\].*Fix: store it as jsonb/,
    );
    expect(table).toMatch(/Replication: refused \(the replicated tables do not fit: 3 problem\(s\) under Problems\)/);
    const metrics = await a.api.metricsRegistry.metrics();
    expect(metrics).toMatch(/^msk_sync_replication_schema_refused 1$/m);
    expect(metrics).toMatch(/^msk_sync_replication_schema_problems\{table="invoices",kind="sequence-key"\} 1$/m);
    expect(metrics).toMatch(/^msk_sync_replication_schema_problems\{table="audit_log",kind="no-primary-key"\} 1$/m);
    expect(metrics).toMatch(/^msk_sync_replication_schema_problems\{table="posts",kind="unsupported-type"\} 1$/m);
    expect(metrics).toMatch(/^msk_sync_replication_running 0$/m);
  });

  it('starts replicating once a migration fixes the schema, without a restart', async () => {
    for (const database of databases) await sql(database.url, THEIR_FIX);
    for (const service of services) {
      await until('replication running after the fix', () =>
        replicationOf(service).state === 'running' ? true : undefined,
      );
      expect(replicationOf(service).refused).toBeNull();
      expect(service.status().ready.reasons.filter((r) => r.startsWith('replication refused'))).toEqual([]);
      expect(await service.api.metricsRegistry.metrics()).toMatch(/^msk_sync_replication_schema_refused 0$/m);
    }
    const ready = await fetch(`http://127.0.33.1:${services[0]!.port}/ready`);
    expect(
      ((await ready.json()) as { reasons: string[] }).reasons.filter((r) => r.startsWith('replication refused')),
    ).toEqual([]);
  });

  it('keeps their foreign key and unique constraint working: children follow parents, a duplicate email is a recorded conflict', async () => {
    const a = services[0] as StartedSyncService;
    let b = services[1] as StartedSyncService;
    const [dbA, dbB] = databases as [TestDatabase, TestDatabase];
    await until('both nodes connected', () =>
      a.status().peersConnected === 1 && b.status().peersConnected === 1 ? true : undefined,
    );
    const customer = randomUUID();
    const order = randomUUID();
    await sql(dbA.url, 'INSERT INTO customers (id, email, name) VALUES ($1, $2, $3)', [
      customer,
      'ada@example.com',
      'Ada',
    ]);
    await sql(dbA.url, 'INSERT INTO orders (id, customer_id, total) VALUES ($1, $2, 12.50)', [order, customer]);
    await until('the order (and its customer) on node b', async () =>
      (await sql(dbB.url, 'SELECT 1 FROM orders WHERE id = $1', [order])).length === 1 ? true : undefined,
    );

    // the same email created on both nodes while node b's sync service is down, so neither hears of the other's
    await b.stop();
    await sql(dbA.url, 'INSERT INTO customers (id, email, name) VALUES ($1, $2, $3)', [
      randomUUID(),
      'grace@example.com',
      'Grace on a',
    ]);
    await sql(dbB.url, 'INSERT INTO customers (id, email, name) VALUES ($1, $2, $3)', [
      randomUUID(),
      'grace@example.com',
      'Grace on b',
    ]);
    b = services[1] = await start(envs[1] as Record<string, string>);
    const emails = (url: string) =>
      sql(url, "SELECT email FROM customers WHERE name LIKE 'Grace%' ORDER BY email").then((rows) =>
        rows.map((row) => row.email),
      );
    const converged = await until('both Graces on both nodes, one email renamed', async () => {
      const [onA, onB] = [await emails(dbA.url), await emails(dbB.url)];
      return onA.length === 2 && JSON.stringify(onA) === JSON.stringify(onB) ? onA : undefined;
    });
    expect(converged).toContain('grace@example.com');
    expect(new Set(converged).size).toBe(2);
    const recorded = await until('the conflict recorded in status', () => {
      const conflicts = [a, b].flatMap((service) => replicationOf(service).conflicts.recent);
      return conflicts.length > 0 ? conflicts : undefined;
    });
    expect(recorded[0]).toMatchObject({ table: 'customers', renamedColumn: 'email' });
  });
});
