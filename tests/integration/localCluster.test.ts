/**
 * `npm start`'s cluster, as a user meets it: two nodes behind one entry point; one login works on every node.
 * Uses the harness (kit/src/cluster/harness.ts) that runs the same supervisor as `npm start`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { readEnvFile, startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { nodeBadge, sessionAt, signIn } from '../support/sessionClient';

const ADDRESS_BLOCK = 5;

async function withClient<T>(connectionString: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('a local cluster of two nodes', () => {
  let cluster: StartedLocalCluster;

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves one login on every node: the entry point session is valid on each node directly', async () => {
    const session = await signIn(cluster.entryUrl, cluster.admin.email, cluster.admin.password);
    for (const node of cluster.nodes) {
      const answer = await sessionAt(node.appUrl, session);
      expect(answer.user?.email).toBe(cluster.admin.email);
    }
  });

  it('spreads ten page loads through the entry point over both nodes, all signed in', async () => {
    const session = await signIn(cluster.entryUrl, cluster.admin.email, cluster.admin.password);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${cluster.entryUrl}/businesses`, {
        headers: { cookie: session.cookie },
        redirect: 'manual',
      });
      expect(response.status).toBe(200); // a signed-out visitor is redirected to the sign-in page
      const badge = nodeBadge(await response.text());
      expect(badge).toBeDefined();
      seen.add(badge?.name as string);
    }
    expect([...seen].sort()).toEqual(cluster.nodes.map((n) => n.name).sort());
  });

  it("connects each node's app and sync service as msk_app and msk_sync, neither a superuser nor able to run a program", async () => {
    const superuserPassword =
      readEnvFile(join(cluster.dataDir, 'config', 'postgres-superuser.env')).POSTGRES_PASSWORD ?? '';
    for (const node of cluster.nodes) {
      const superuserUrl = new URL(node.postgresUrl);
      superuserUrl.password = encodeURIComponent(superuserPassword);
      const sessions = await withClient(superuserUrl.toString(), async (client) =>
        (
          await client.query<{ role: string }>(
            "SELECT DISTINCT a.usename || ':' || r.rolsuper AS role FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename " +
              'WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() ORDER BY 1',
          )
        ).rows.map((row) => row.role),
      );
      expect(sessions).toEqual(['msk_app:false', 'msk_sync:false']);
      // What the node runs with (node-N/node.env): each process's own URL and password.
      const env = readEnvFile(join(cluster.dataDir, `node-${node.index}`, 'node.env'));
      for (const [url, password] of [
        [env.DATABASE_URL, env.DATABASE_PASSWORD],
        [env.SYNC_DATABASE_URL, env.SYNC_DATABASE_PASSWORD],
      ]) {
        const own = new URL(url as string);
        own.password = encodeURIComponent(password as string);
        const refusal = await withClient(own.toString(), (client) =>
          client.query("COPY (SELECT 1) TO PROGRAM 'true'").then(
            () => 'accepted',
            (error: Error) => error.message,
          ),
        );
        expect(refusal).toMatch(/to COPY to or from an external program/);
      }
    }
  });

  it('reports every node connected to the other in service:status', async () => {
    const counts = await cluster.peersConnected();
    expect(counts).toEqual({ '1': 1, '2': 1 });
    // `npm run service:status` in another terminal: every local node, from the running cluster's folder.
    const result = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'sync', 'dist', 'cli', 'main.js'), 'status', '--cluster', cluster.dataDir],
      { encoding: 'utf8', cwd: cluster.dataDir },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.match(/Peers Connected: 1/g)).toHaveLength(2);
    for (const node of cluster.nodes) expect(result.stdout).toContain(`== ${node.name} (local cluster)`);
  });
});

describe('a local cluster where node 2 has a different NEXTAUTH_SECRET', () => {
  let cluster: StartedLocalCluster;
  const otherSecret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');

  beforeAll(async () => {
    cluster = await startLocalCluster({
      nodes: 2,
      addressBlock: ADDRESS_BLOCK + 1,
      overrides: { 2: { NEXTAUTH_SECRET: otherSecret } },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("node 2 cannot read node 1's session, logs JWT_SESSION_ERROR and fails readiness; node 1 stays ready", async () => {
    const [node1, node2] = cluster.nodes;
    const session = await signIn(node1?.appUrl as string, cluster.admin.email, cluster.admin.password);
    expect((await sessionAt(node1?.appUrl as string, session)).user?.email).toBe(cluster.admin.email);
    expect(await sessionAt(node2?.appUrl as string, session)).toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(readFileSync(join(node2?.logDir as string, 'app.log'), 'utf8')).toMatch(/JWT_SESSION_ERROR/);

    const deadline = Date.now() + 10_000;
    let ready2 = 0;
    while (Date.now() < deadline) {
      ready2 = (await fetch(`${node2?.appUrl}/api/ready`)).status;
      if (ready2 === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ready2).toBe(503);
    expect((await fetch(`${node1?.appUrl}/api/ready`)).status).toBe(200);
  });

  it("every node's status reports the mismatch, naming NEXTAUTH_SECRET", async () => {
    for (const node of cluster.nodes) {
      const status = (await (await fetch(`${node.syncUrl}/status`)).json()) as {
        agreement: { ok: boolean; mismatches: Array<{ variable: string }> };
      };
      expect(status.agreement.ok).toBe(false);
      expect(status.agreement.mismatches.map((m) => m.variable)).toContain('NEXTAUTH_SECRET');
    }
  });

  it('doctor on the files the nodes run with reports the differing secret', () => {
    const files = cluster.nodes.map((n) => join(cluster.dataDir, `node-${n.index}`, 'node.env'));
    const result = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'kit', 'dist', 'cli', 'main.js'), 'doctor', ...files],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/ERROR +NEXTAUTH_SECRET/);
    expect(result.stdout).toMatch(/must be the same on every server but differs/);
    expect(result.stdout).not.toContain(otherSecret);
  });
});
