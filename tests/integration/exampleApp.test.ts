/**
 * Another team's app behind the kit: examples/field-desk (its own schema, Auth.js v5 variable names, none of the
 * reference app's endpoints) run by the local cluster with `--app`, as `npm start -- --app examples/field-desk`
 * does (docs/local-cluster.md). A login on node 1 is a session on node 2, its rows (a foreign key, a unique
 * column) reach node 2 and every replicated table converges, service:status says "Peers Connected: 1"; listing its
 * bigserial table is refused at start with the fix. `npm test` builds the example before Jest starts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive, startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { ClusterDatabases } from '../support/clusterChecks';
import { serverActionBody, serverActionFields } from '../support/serverActionForm';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import { scratchRepositoryPerSuite } from '../support/scratchRepository';

const EXAMPLE = 'examples/field-desk';
const REPOSITORY = join(__dirname, '..', '..');
const SYNC_CLI = join(REPOSITORY, 'sync', 'dist', 'cli', 'main.js');
const ADDRESS_BLOCK = 166;
const { multiServerKit } = JSON.parse(readFileSync(join(REPOSITORY, EXAMPLE, 'package.json'), 'utf8')) as {
  multiServerKit: { replicatedTables: string[] };
};
const REPLICATION_TIMEOUT_MS = 30_000;

async function api<T>(
  baseUrl: string,
  session: SignedInSession,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie: session.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** The environment a running process was started with (Linux /proc): what the kit really handed the app. */
function processEnvironment(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(
    entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

describe('the local cluster running examples/field-desk (npm start -- --app)', () => {
  let cluster: StartedLocalCluster;
  const node = (index: number) => cluster.nodes[index - 1] as StartedLocalCluster['nodes'][number];

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK, app: EXAMPLE });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("runs the example on every node, probed on its own path, with the contract's secrets under the names it reads", () => {
    expect(cluster.output()).toMatch(
      /\[cluster\] app: field-desk from .*examples\/field-desk\/\.next\/standalone\/.*server\.js \(probe \/api\/auth\/providers/,
    );
    for (const each of cluster.nodes) {
      const env = processEnvironment(each.pids.app as number);
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(['AUTH_SECRET', 'AUTH_URL', 'DATABASE_URL', 'PGPASSWORD', 'DESK_SEED_EMAIL']),
      );
      expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['NEXTAUTH_SECRET']));
      expect(
        Object.keys(env).filter(
          (name) => name === 'NEXTAUTH_SECRET' || name === 'DATABASE_PASSWORD' || name === 'ADMIN_PASSWORD',
        ),
      ).toEqual([]);
      expect(env.AUTH_URL).toBe(cluster.entryUrl);
      // The sync service beside it reads the contract's names, and the example's tables.
      const syncEnv = processEnvironment(each.pids.sync as number);
      expect(syncEnv.NEXTAUTH_SECRET).toBe(env.AUTH_SECRET);
      expect(syncEnv.REPLICATED_TABLES).toBe(multiServerKit.replicatedTables.join(','));
    }
  });

  it("has none of the reference app's endpoints: the kit copes without them", async () => {
    for (const path of ['/api/health', '/api/ready', '/api/build']) {
      expect((await fetch(`${node(1).appUrl}${path}`)).status).toBe(404);
    }
  });

  it('accepts a login made on node 1 as a session on node 2, and through the entry point', async () => {
    const session = await signIn(node(1).appUrl, cluster.admin.email, cluster.admin.password);
    expect(session.sessionCookieName).toBe('next-auth.session-token');
    expect((await sessionAt(node(1).appUrl, session)).user?.email).toBe(cluster.admin.email);
    expect((await sessionAt(node(2).appUrl, session)).user?.email).toBe(cluster.admin.email);
    const page = await fetch(`${node(2).appUrl}/`, { headers: { cookie: session.cookie }, redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-testid="signed-in-as">${cluster.admin.email}<`);
    // Signed out, the page sends the visitor to NextAuth's sign-in page at the public URL (AUTH_URL).
    const signedOut = await fetch(`${node(2).appUrl}/`, { redirect: 'manual' });
    expect(signedOut.status).toBe(307);
    expect(signedOut.headers.get('location')).toMatch(/\/api\/auth\/signin\?callbackUrl=%2F$/);
  });

  it('replicates a team, a technician (foreign key, unique email) and a work order from node 1 to node 2', async () => {
    const onNode1 = await signIn(node(1).appUrl, cluster.admin.email, cluster.admin.password);
    const onNode2 = await signIn(node(2).appUrl, cluster.admin.email, cluster.admin.password);
    const team = await api<{ id: string }>(node(1).appUrl, onNode1, '/api/teams', {
      name: 'North crew',
      region: 'North',
    });
    expect(team.status).toBe(201);
    const email = `ada.${Date.now()}@desk.example`;
    const technician = await api<{ id: string }>(node(1).appUrl, onNode1, '/api/technicians', {
      teamId: team.body.id,
      fullName: 'Ada Fixer',
      email,
    });
    expect(technician.status).toBe(201);
    const order = await api<{ id: string }>(node(1).appUrl, onNode1, '/api/work-orders', {
      title: 'Boiler check',
      siteAddress: '1 Quay Street',
      priority: 'urgent',
      technicianId: technician.body.id,
    });
    expect(order.status).toBe(201);

    const shown = await eventually(
      async () => {
        const orders = await api<Array<{ id: string; technicianName: string | null; status: string }>>(
          node(2).appUrl,
          onNode2,
          '/api/work-orders',
        );
        const found = orders.body.find((o) => o.id === order.body.id);
        if (!found) throw new Error(`work order ${order.body.id} not on node 2 yet`);
        return found;
      },
      { what: 'the work order on node 2', timeoutMs: REPLICATION_TIMEOUT_MS },
    );
    expect(shown).toMatchObject({ technicianName: 'Ada Fixer', status: 'assigned' });
    // Node 2 now enforces node 1's unique email and knows node 1's team as a parent.
    expect(
      (await api(node(2).appUrl, onNode2, '/api/technicians', { teamId: team.body.id, fullName: 'Ada Again', email }))
        .status,
    ).toBe(409);
    expect(
      (
        await api(node(2).appUrl, onNode2, '/api/technicians', {
          teamId: team.body.id,
          fullName: 'Bo Wrench',
          email: `bo.${email}`,
        })
      ).status,
    ).toBe(201);
  });

  it("takes the page's work order form rendered by node 1 when it is submitted to node 2 (one build everywhere)", async () => {
    const session = await signIn(node(1).appUrl, cluster.admin.email, cluster.admin.password);
    const page = await fetch(`${node(1).appUrl}/`, { headers: { cookie: session.cookie } });
    expect(page.status).toBe(200);
    const hidden = serverActionFields(await page.text(), 'New work order');
    expect(hidden.length).toBeGreaterThan(0);
    const title = `Gutter clean ${Date.now()}`;
    const posted = await fetch(`${node(2).appUrl}/`, {
      method: 'POST',
      // What a browser without JavaScript sends when the user submits the form to node 2 (Origin agrees with Host).
      headers: { cookie: session.cookie, origin: node(2).appUrl },
      body: serverActionBody(hidden, { title, siteAddress: '9 Mill Lane', priority: 'low', technicianId: '' }),
    });
    const html = await posted.text();
    expect({ status: posted.status, added: html.includes(`Added &quot;${title}&quot;.`) }).toEqual({
      status: 200,
      added: true,
    });
    await eventually(
      async () => {
        const orders = await api<Array<{ title: string }>>(node(1).appUrl, session, '/api/work-orders');
        if (!orders.body.some((o) => o.title === title)) throw new Error('not on node 1 yet');
      },
      { what: "the work order made through node 2's form on node 1", timeoutMs: REPLICATION_TIMEOUT_MS },
    );
    expect(readFileSync(join(node(2).logDir, 'app.log'), 'utf8')).not.toContain('Failed to find Server Action');
  });

  it("converges every replicated table; audit_events stays each node's own", async () => {
    const databases = new ClusterDatabases(cluster, multiServerKit.replicatedTables);
    const hashes = await databases.quiesce(
      REPLICATION_TIMEOUT_MS,
      (h) => Object.keys(h).length === multiServerKit.replicatedTables.length,
    );
    expect(Object.keys(hashes).sort()).toEqual([...multiServerKit.replicatedTables].sort());
    const audits = await Promise.all(
      [1, 2].map((index) =>
        databases.query(index, async (pool) =>
          (await pool.query<{ action: string }>('SELECT action FROM audit_events ORDER BY id')).rows.map(
            (r) => r.action,
          ),
        ),
      ),
    );
    expect(audits[0]).toEqual(['team.created', 'technician.created', 'work_order.created']);
    expect(audits[1]).toEqual(['technician.created', 'work_order.created']);
  });

  it('says "Peers Connected: 1" for each node in service:status', () => {
    const result = spawnSync(process.execPath, [SYNC_CLI, 'status', '--cluster', cluster.dataDir], {
      encoding: 'utf8',
      cwd: cluster.dataDir,
    });
    expect(result.status).toBe(0);
    expect(result.stdout.match(/Peers Connected: 1/g)).toHaveLength(2);
  });
});

describe("the start-up check of the example's tables", () => {
  let cluster: StartedLocalCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('refuses REPLICATED_TABLES listing audit_events, naming its serial key and the move to UUIDv7', async () => {
    cluster = await startLocalCluster({
      nodes: 1,
      addressBlock: ADDRESS_BLOCK + 1,
      app: EXAMPLE,
      replicatedTables: [...multiServerKit.replicatedTables, 'audit_events'],
    });
    const [only] = cluster.nodes;
    const refusal = await eventually(
      async () => {
        const log = readFileSync(join(only?.logDir as string, 'sync.log'), 'utf8');
        const line = log.split('\n').find((l) => l.includes('replication refused'));
        if (!line) throw new Error(`no refusal in the sync log yet:\n${log.slice(-2000)}`);
        return line;
      },
      { what: 'the sync service refusing audit_events', timeoutMs: REPLICATION_TIMEOUT_MS },
    );
    expect(refusal).toMatch(
      /table audit_events: primary key id is bigint, filled from sequence audit_events_id_seq \(serial\)/,
    );
    expect(refusal).toMatch(/move it to a UUIDv7 key/);
    expect(refusal).not.toMatch(/table (desk_users|teams|technicians|work_orders):/);
    // The seed's status command says so too, and the node is not ready.
    const status = spawnSync(process.execPath, [SYNC_CLI, 'status', '--cluster', cluster.dataDir], {
      encoding: 'utf8',
      cwd: cluster.dataDir,
    });
    expect(status.stdout).toMatch(/replication refused: table audit_events: primary key id/);
    expect(status.stdout).toMatch(/NOT READY/);
  });
});

describe('npm start -- --app examples/field-desk, as docs/local-cluster.md says it', () => {
  const scratch = scratchRepositoryPerSuite('example-app');

  it('brings up two nodes of the example, answers service:status beside it, and stops everything on Ctrl-C', async () => {
    const [start] = docsCommands('docs/local-cluster.md', 'start-example');
    const [status] = docsCommands('docs/local-cluster.md', 'status');
    expect(start).toBe('npm start -- --app examples/field-desk');
    // Only moves the cluster to its own loopback block, so it never meets another cluster on this machine.
    const job = scratch.start(`${start as string} --address-block ${ADDRESS_BLOCK + 2}`);
    await job.waitFor(/Multi-Server Kit: 2 node\(s\) up in/, 'npm start -- --app examples/field-desk up', 240_000);
    const output = job.output();
    expect(output).toMatch(/^\[start\] Multi-Server Kit: starting a local cluster of examples\/field-desk \(pid/m);
    expect(output).toMatch(/\[cluster\] starting field-desk on every node/);
    expect(output.match(/Peers Connected: 1/g)).toHaveLength(2);

    const statusResult = scratch.run(status as string);
    expect(statusResult.code).toBe(0);
    expect(statusResult.stdout.match(/Peers Connected: 1/g)).toHaveLength(2);

    const pids = scratch.localClusterPids();
    expect(pids.length).toBeGreaterThanOrEqual(7);
    await job.interrupt();
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
  });
});
