/**
 * `npm start -- --database shared`: two nodes (app + sync each) on ONE embedded PostgreSQL, DATABASE_TOPOLOGY=shared.
 * One login is a session on every node, a write through one node is read through the other at once (no
 * replication: the same database), status says so, nothing of capture is installed; then node 2 is restarted on
 * another database and is refused, by name, on both nodes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { readEnvFile, startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { setUpDatabaseRoles } from '@msk/kit/postgres';
import { eventually } from '../support/eventually';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import { expectTwoNodesSharingOneDatabase } from '../support/statusChecks';

const ADDRESS_BLOCK = 91;
const SYNC_CLI = join(__dirname, '..', '..', 'sync', 'dist', 'cli', 'main.js');

interface DatabaseStatus {
  declared: string;
  detected: string;
  sharedWith: string[];
  problem: string | null;
  thisNodeRefused: boolean;
}
interface NodeStatus {
  peersConnected: number;
  database: DatabaseStatus | null;
  replication?: { state: string };
  ready: { ok: boolean; reasons: string[] };
}

describe('a local cluster of two nodes sharing one database', () => {
  let cluster: StartedLocalCluster;
  let superuser: Pool;
  let superuserUrl: URL;
  const node = (index: number) => cluster.nodes[index - 1] as StartedLocalCluster['nodes'][number];
  const statusOf = async (index: number): Promise<NodeStatus> =>
    (await (await fetch(`${node(index).syncUrl}/status`)).json()) as NodeStatus;
  const api = async (index: number, session: SignedInSession, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${node(index).appUrl}${path}`, {
      method,
      headers: { cookie: session.cookie, 'content-type': 'application/json', origin: node(index).appUrl },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK, database: 'shared' });
    const password = readEnvFile(join(cluster.dataDir, 'config', 'postgres-superuser.env')).POSTGRES_PASSWORD ?? '';
    superuserUrl = new URL(node(1).postgresUrl);
    superuserUrl.password = encodeURIComponent(password);
    superuser = new Pool({ connectionString: superuserUrl.toString(), max: 2 });
    superuser.on('error', () => undefined);
    await eventually(
      async () => {
        for (const index of [1, 2]) {
          const status = await statusOf(index);
          if (status.database?.sharedWith.length !== 1)
            throw new Error(`node ${index}: ${JSON.stringify(status.database)}`);
        }
      },
      { what: 'both nodes seeing the database shared with the other', timeoutMs: 60_000, intervalMs: 200 },
    );
  });
  afterAll(async () => {
    await superuser?.end();
    await cluster?.stop();
  });

  it('runs one PostgreSQL for both nodes and points both at it', () => {
    expect(node(1).postgresUrl).toBe(node(2).postgresUrl);
    expect(node(2).pids.postgres).toBe(node(1).pids.postgres);
    for (const index of [1, 2]) {
      const env = readEnvFile(join(cluster.dataDir, `node-${index}`, 'node.env'));
      expect(env.DATABASE_TOPOLOGY).toBe('shared');
      expect(new URL(env.DATABASE_URL as string).host).toBe(new URL(node(1).postgresUrl).host);
    }
  });

  it('serves one login on every node, and a business written through node 1 is read through node 2 at once', async () => {
    const session = await signIn(cluster.entryUrl, cluster.admin.email, cluster.admin.password);
    for (const index of [1, 2])
      expect((await sessionAt(node(index).appUrl, session)).user?.email).toBe(cluster.admin.email);
    const created = await api(1, session, 'POST', '/api/businesses', { name: 'one database shop', type: 'retail' });
    expect(created.status).toBe(201);
    const read = await api(2, session, 'GET', `/api/businesses/${created.json.id as string}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: created.json.id, name: 'one database shop' });
  });

  it('made the first admin once', async () => {
    const { rows } = await superuser.query<{ n: string }>('SELECT count(*) AS n FROM users WHERE email = $1', [
      cluster.admin.email,
    ]);
    expect(rows[0]?.n).toBe('1');
  });

  it('says "Database: shared with" the other node and Peers Connected: 1 in service:status, text and --json', async () => {
    const text = spawnSync(process.execPath, [SYNC_CLI, 'status', '--cluster', cluster.dataDir], {
      encoding: 'utf8',
      cwd: cluster.dataDir,
    });
    expect(text.status).toBe(0);
    expectTwoNodesSharingOneDatabase(text.stdout);
    const json = spawnSync(process.execPath, [SYNC_CLI, 'status', '--cluster', cluster.dataDir, '--json'], {
      encoding: 'utf8',
      cwd: cluster.dataDir,
    });
    expect(json.status).toBe(0);
    const documents = JSON.parse(json.stdout) as NodeStatus[];
    expect(
      documents.map((d) => [
        d.peersConnected,
        d.database?.detected,
        d.database?.sharedWith,
        d.replication?.state,
        d.ready.ok,
      ]),
    ).toEqual([
      [1, 'shared', ['node-2'], 'off', true],
      [1, 'shared', ['node-1'], 'off', true],
    ]);
  });

  it('has no capture trigger and no replication state on the shared database', async () => {
    const triggers = await superuser.query(
      `SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
    );
    expect(triggers.rows).toEqual([]);
    const state = await superuser.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'msk_sync'`,
    );
    expect(state.rows).toEqual([]);
  });

  it('keeps the shared database running when node 1 stops: node 2 serves every business, node 1 comes back to the same data', async () => {
    const session = await signIn(node(2).appUrl, cluster.admin.email, cluster.admin.password);
    const created = await api(2, session, 'POST', '/api/businesses', {
      name: 'written before node 1 stopped',
      type: 'services',
    });
    expect(created.status).toBe(201);
    await cluster.stopNode(1);
    const whileDown = await api(2, session, 'POST', '/api/businesses', {
      name: 'written while node 1 was down',
      type: 'services',
    });
    expect(whileDown.status).toBe(201);
    expect((await api(2, session, 'GET', `/api/businesses/${created.json.id as string}`)).status).toBe(200);
    await cluster.startNode(1);
    const back = await signIn(node(1).appUrl, cluster.admin.email, cluster.admin.password);
    expect((await api(1, back, 'GET', `/api/businesses/${whileDown.json.id as string}`)).json).toMatchObject({
      name: 'written while node 1 was down',
    });
    await eventually(
      async () => {
        const status = await statusOf(1);
        if (JSON.stringify(status.database?.sharedWith) !== '["node-2"]')
          throw new Error(JSON.stringify(status.database));
      },
      { what: 'node 1 sharing the database with node 2 again', timeoutMs: 30_000, intervalMs: 200 },
    );
  });

  it('refuses node 2 once it runs on another database, naming it on both nodes; only node 2 fails readiness', async () => {
    const shared = readEnvFile(join(cluster.dataDir, 'config', 'shared.env'));
    await superuser.query('CREATE DATABASE other_db');
    const otherAdmin = new URL(superuserUrl.toString());
    otherAdmin.pathname = '/other_db';
    const client = new Client({ connectionString: otherAdmin.toString() });
    await client.connect();
    try {
      await setUpDatabaseRoles(client, {
        app: shared.DATABASE_PASSWORD as string,
        sync: shared.SYNC_DATABASE_PASSWORD as string,
      });
    } finally {
      await client.end();
    }
    const env = readEnvFile(join(cluster.dataDir, 'node-2', 'node.env'));
    const elsewhere = (url: string) => url.replace(/\/multi_business_db$/, '/other_db');
    await cluster.stopNode(2);
    await cluster.startNode(2, {
      DATABASE_URL: elsewhere(env.DATABASE_URL as string),
      SYNC_DATABASE_URL: elsewhere(env.SYNC_DATABASE_URL as string),
    });
    const refused = 'DATABASE_TOPOLOGY is shared but node-1 and node-2 each have their own database; refused: node-2';
    /** Node `index`'s status once it reports a database problem. */
    const problemOf = (index: number, what: string, timeoutMs: number) =>
      eventually(
        async () => {
          const status = await statusOf(index);
          if (!status.database?.problem) throw new Error(JSON.stringify(status.database));
          return status;
        },
        { what, timeoutMs, intervalMs: 200 },
      );
    const status2 = await problemOf(2, 'node 2 refused', 60_000);
    expect(status2.database?.problem).toContain(refused);
    expect(status2.database?.thisNodeRefused).toBe(true);
    expect(status2.ready.ok).toBe(false);
    // The app asks its sync service on every readiness check: node 2 leaves the entry point's rotation.
    const appReady = await eventually(
      async () => {
        const response = await fetch(`${node(2).appUrl}/api/ready`);
        if (response.status !== 503) throw new Error(`HTTP ${response.status}`);
        return (await response.json()) as { checks: { topology: string }; problems: string[] };
      },
      { what: "node 2's app not ready", timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(appReady.checks.topology).toBe('refused');
    expect(appReady.problems.join('\n')).toContain(refused);
    const status1 = await problemOf(1, 'node 1 reporting node 2', 30_000);
    expect(status1.database?.problem).toContain(refused);
    expect(status1.ready.ok).toBe(true);
    expect((await fetch(`${node(1).appUrl}/api/ready`)).status).toBe(200);
  });
});
