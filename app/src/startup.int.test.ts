/**
 * Starting a node: the env contract checked before anything is served, migrations applied exactly once (also
 * when two processes start on one database together), and the first admin.
 */
import { DEFAULT_APP_PORT } from '@msk/contract';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
import { allStarted, runAppServerExpectingExit, startAppServer, type StartedAppServer } from './testing/appServer';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, testNodeEnvironment } from './testing/nodeEnvironment';
import { signIn, signedIn } from './testing/nextAuthClient';
import { ensureStandaloneBuild } from './testing/standaloneBuild';

// Real processes on a shared 2-core machine; Jest ignores a testTimeout set inside a project, so set it here.
jest.setTimeout(120_000);

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('starting an app node', () => {
  let serverJs: string;
  const databases: TestDatabase[] = [];
  const servers: StartedAppServer[] = [];

  async function database(): Promise<TestDatabase> {
    const created = await createTestDatabase('app_startup');
    databases.push(created);
    return created;
  }

  async function start(env: Record<string, string>, waitFor: 'ready' | 'health' = 'ready'): Promise<StartedAppServer> {
    const server = await startAppServer({ serverJs, env, waitFor });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    serverJs = await ensureStandaloneBuild();
  }, 300_000);

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('refuses to start on a bad environment, listing every problem on stderr without any secret', async () => {
    const weakKey = 'only-a-weak-registration-key';
    const env = await testNodeEnvironment({
      address: '127.0.1.20',
      nodeName: 'bad-env',
      databaseUrl: 'postgresql://app@127.0.0.1:1/db',
    });
    delete env.NEXTAUTH_SECRET;
    env.SYNC_REGISTRATION_KEY = weakKey;
    env.SYNC_NODE_ID = 'a1b2c3d4e5f6g7h8';
    env.NEXTAUTH_URL = '"http://127.0.1.20:8080"';
    env.DATABASE_URL = 'mysql://app@localhost/db';

    const exited = await runAppServerExpectingExit(serverJs, env);

    expect(exited.code).toBe(1);
    expect(exited.answered).toBe(false);
    expect(exited.stderr).toContain('The app refuses to start: the environment has 5 error(s).');
    expect(exited.stderr).toMatch(
      /error: NEXTAUTH_SECRET is not set \(nor AUTH_SECRET, its Auth.js v5 name\)\. Fix: generate one with `openssl rand -base64 32`/,
    );
    expect(exited.stderr).toMatch(/error: SYNC_REGISTRATION_KEY must be exactly 64 hex characters/);
    expect(exited.stderr).toMatch(
      /error: SYNC_NODE_ID must be hex \(0-9, a-f\) but contains 'g', 'h'\. Fix: generate a new one/,
    );
    expect(exited.stderr).toMatch(/error: NEXTAUTH_URL is wrapped in quotes.*Fix: remove the quotes/);
    expect(exited.stderr).toMatch(/error: DATABASE_URL must start with postgresql:\/\//);
    expect(exited.stderr + exited.stdout).not.toContain(weakKey);
  });

  it('applies the migrations once and makes one admin when two nodes start on one database at the same time', async () => {
    const shared = await database();
    const [first, second] = await allStarted([
      start(await testNodeEnvironment({ address: '127.0.1.21', nodeName: 'racer-1', databaseUrl: shared.url })),
      start(await testNodeEnvironment({ address: '127.0.1.22', nodeName: 'racer-2', databaseUrl: shared.url })),
    ]);

    const migrations = await query<{ version: number; name: string }>(
      shared.url,
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    expect(migrations).toEqual([{ version: 1, name: 'initial_schema' }]);
    expect(await query(shared.url, 'SELECT email, role FROM users')).toEqual([
      { email: TEST_ADMIN_EMAIL, role: 'admin' },
    ]);
    const outputs = [first.output(), second.output()];
    expect(outputs.filter((o) => o.includes('applied 1 migration(s)'))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('database schema up to date'))).toHaveLength(1);
    expect(outputs.filter((o) => o.includes('created the first admin'))).toHaveLength(1);
  });

  it('applies nothing on a restart against an up-to-date database', async () => {
    const db = await database();
    const env = await testNodeEnvironment({ address: '127.0.1.21', nodeName: 'restarted', databaseUrl: db.url });
    await (await start(env)).stop();
    const again = await start(env);
    expect(again.output()).toContain('database schema up to date');
    expect(again.output()).not.toContain('created the first admin');
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM schema_migrations')).toEqual([{ n: 1 }]);
  });

  it('keys every replicated table by uuid with created_at and updated_at, and has no serial or identity column', async () => {
    const db = await database();
    await start(await testNodeEnvironment({ address: '127.0.1.21', nodeName: 'schema', databaseUrl: db.url }));
    const keys = await query<{ table_name: string; data_type: string }>(
      db.url,
      `SELECT c.table_name, c.data_type FROM information_schema.table_constraints t
       JOIN information_schema.key_column_usage k USING (constraint_name, table_name)
       JOIN information_schema.columns c ON c.table_name = k.table_name AND c.column_name = k.column_name
       WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_name IN ('users', 'businesses', 'employees') ORDER BY 1`,
    );
    expect(keys).toEqual([
      { table_name: 'businesses', data_type: 'uuid' },
      { table_name: 'employees', data_type: 'uuid' },
      { table_name: 'users', data_type: 'uuid' },
    ]);
    const stamps = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.columns WHERE column_name IN ('created_at', 'updated_at')
       AND table_name IN ('users', 'businesses', 'employees') GROUP BY table_name HAVING count(*) = 2 ORDER BY 1`,
    );
    expect(stamps.map((s) => s.table_name)).toEqual(['businesses', 'employees', 'users']);
    const generated = await query(
      db.url,
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND (is_identity = 'YES' OR column_default LIKE 'nextval%')",
    );
    expect(generated).toEqual([]);
  });

  it('prints a generated first-admin password once, to stdout only, and it signs in', async () => {
    const db = await database();
    const env = await testNodeEnvironment({
      address: '127.0.1.21',
      nodeName: 'generated-admin',
      databaseUrl: db.url,
      adminPassword: '',
    });
    const first = await start(env);
    const password = /password: (\S+)/.exec(first.stdout())?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(first.stderr()).not.toContain(password);
    // Every structured log line is free of it; only the one plain-text notice carries it.
    const logLines = first
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(logLines.some((line) => line.includes(password!))).toBe(false);
    await signedIn(first.url, TEST_ADMIN_EMAIL, password!);
    await first.stop();

    const second = await start(env);
    expect(second.output()).not.toContain('First admin created');
    expect(second.output()).not.toContain(password);
  });

  it('takes the first admin from ADMIN_EMAIL and ADMIN_PASSWORD', async () => {
    const db = await database();
    const node = await start(
      await testNodeEnvironment({
        address: '127.0.1.21',
        nodeName: 'set-admin',
        databaseUrl: db.url,
        adminEmail: 'Boss@Example.com',
        adminPassword: 'boss-password-123',
      }),
    );
    expect(node.output()).not.toContain('boss-password-123');
    await signedIn(node.url, 'boss@example.com', 'boss-password-123');
    expect((await signIn(node.url, 'boss@example.com', TEST_ADMIN_PASSWORD)).sessionCookie).toBeUndefined();
  });

  it("listens on the env contract's default port, 8080, when PORT is unset", async () => {
    const db = await database();
    const env = await testNodeEnvironment({
      address: '127.0.1.23',
      port: DEFAULT_APP_PORT,
      nodeName: 'default-port',
      databaseUrl: db.url,
    });
    delete env.PORT;
    const node = await start(env);
    expect(node.url).toBe('http://127.0.1.23:8080');
    expect((await fetch('http://127.0.1.23:8080/api/health')).status).toBe(200);
  });

  it('serves health but reports not ready while its database is unreachable', async () => {
    const env = await testNodeEnvironment({
      address: '127.0.1.21',
      nodeName: 'no-database',
      databaseUrl: 'postgresql://app@127.0.0.1:9/nothing_here',
    });
    const node = await start(env, 'health');
    expect((await fetch(`${node.url}/api/health`)).status).toBe(200);
    const ready = await fetch(`${node.url}/api/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not_ready',
      checks: { config: 'ok', database: 'failed', migrations: 'failed' },
      problems: [expect.stringMatching(/^database unreachable: .*ECONNREFUSED/), expect.any(String)],
    });
    await node.waitForOutput(/could not prepare the database/);
  });
});
