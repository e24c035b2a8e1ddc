/**
 * Two real nodes in containers (Testcontainers, the project's images): a login on one is a login on the other,
 * the entry point spreads users over both, the sync services find each other, and a node with a different
 * NEXTAUTH_SECRET is caught before it logs anyone out.
 */
import https from 'node:https';
import { nodeBadge, sessionAt, signIn } from '../support/sessionClient';
import {
  type StartedContainerCluster,
  type StartedContainerNode,
  startContainerCluster,
} from './support/containerCluster';
import { ADMIN } from './support/containerSettings';
import { eventually } from '../support/eventually';

/** The status of a GET over TLS without checking the certificate (a node makes its own at start; peers pin it). */
function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false, timeout: 5_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

const PEER_CONNECT_TIMEOUT_MS = 30_000;

interface ReadyBody {
  status: string;
  checks: { sync: string };
  problems: string[];
}

/**
 * The full readiness report, which only a process on the node's own machine (or an admin) gets: asked over
 * loopback from inside the app container. From the host, through the published port, the answer is the public one.
 */
async function readiness(node: StartedContainerNode): Promise<{ status: number; body: ReadyBody }> {
  const script =
    "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/ready')" +
    '.then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))';
  const { exitCode, output } = await node.app.exec(['node', '-e', script]);
  if (exitCode !== 0)
    throw new Error(`GET /api/ready inside ${node.name}'s app container: exit ${exitCode}: ${output}`);
  return JSON.parse(output) as { status: number; body: ReadyBody };
}

async function peersConnected(node: StartedContainerNode, expected: number): Promise<string> {
  return eventually(
    async () => {
      const { exitCode, output } = await node.serviceStatus();
      if (exitCode !== 0 || !output.includes(`Peers Connected: ${expected}`))
        throw new Error(`exit ${exitCode}:\n${output}`);
      return output;
    },
    {
      what: `service:status in ${node.name}'s sync container showing "Peers Connected: ${expected}"`,
      timeoutMs: PEER_CONNECT_TIMEOUT_MS,
      context: () => node.logTails(),
    },
  );
}

describe('two nodes in containers, each with its own PostgreSQL, behind one entry point', () => {
  let cluster: StartedContainerCluster;
  const node = (index: number) => cluster.nodes[index - 1] as StartedContainerNode;

  beforeAll(async () => {
    cluster = await startContainerCluster({ nodes: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("answers the real health endpoints of every node: the app's /api/health and /api/ready, the sync service's /health", async () => {
    for (const each of cluster.nodes) {
      const health = (await (await fetch(`${each.appUrl}/api/health`)).json()) as {
        status: string;
        node: { name: string };
      };
      expect(health).toMatchObject({ status: 'ok', node: { name: each.name } });
      // The sync port speaks TLS (the default); from outside the container, plain HTTP gets nothing.
      expect(await httpsStatus(`${each.syncUrl.replace(/^http:/, 'https:')}/health`)).toBe(200);
      const ready = await eventually(
        async () => {
          const answer = await readiness(each);
          if (answer.status !== 200 || answer.body.checks.sync !== 'ok') throw new Error(JSON.stringify(answer));
          return answer;
        },
        {
          what: `${each.name} ready with its sync service agreeing`,
          timeoutMs: PEER_CONNECT_TIMEOUT_MS,
          context: () => each.logTails(),
        },
      );
      expect(ready.body.status).toBe('ready');
      // From outside the node, anonymous: ready or not and a reason code, nothing about the node.
      const outside = await fetch(`${each.appUrl}/api/ready`);
      expect({ status: outside.status, body: await outside.json() }).toEqual({
        status: 200,
        body: { status: 'ready', reason: 'ok' },
      });
    }
  });

  it("accepts a login made through node 1's mapped port as a valid session on node 2", async () => {
    const session = await signIn(node(1).appUrl, ADMIN.email, ADMIN.password);
    expect((await sessionAt(node(1).appUrl, session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(node(2).appUrl, session)).user?.email).toBe(ADMIN.email);
  });

  it('serves the signed-in user from both nodes through the entry point', async () => {
    const session = await signIn(cluster.entryUrl, ADMIN.email, ADMIN.password);
    const servedBy = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${cluster.entryUrl}/businesses`, {
        headers: { cookie: session.cookie },
        redirect: 'manual',
      });
      expect(response.status).toBe(200); // a signed-out visitor is redirected to the sign-in page
      servedBy.add(nodeBadge(await response.text())?.name ?? 'no node badge');
    }
    expect([...servedBy].sort()).toEqual(['node-1', 'node-2']);
  });

  it('shows "Peers Connected: 1" in service:status inside each sync container', async () => {
    for (const each of cluster.nodes) {
      const output = await peersConnected(each, 1);
      const other = cluster.nodes.find((n) => n !== each) as StartedContainerNode;
      expect(output).toMatch(new RegExp(`^${other.name} +${other.env.SYNC_NODE_ID}\\b.*authenticated`, 'm'));
    }
  });

  it('shows a business created on node 1 on node 2', async () => {
    const name = `Replicated shop ${Date.now()}`;
    const onNode1 = await signIn(node(1).appUrl, ADMIN.email, ADMIN.password);
    const created = await fetch(`${node(1).appUrl}/api/businesses`, {
      method: 'POST',
      headers: { cookie: onNode1.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name, type: 'retail' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const onNode2 = await signIn(node(2).appUrl, ADMIN.email, ADMIN.password);
    const shown = await eventually(
      async () => {
        const response = await fetch(`${node(2).appUrl}/api/businesses/${id}`, { headers: { cookie: onNode2.cookie } });
        if (response.status !== 200) throw new Error(`GET /api/businesses/${id} on node 2: HTTP ${response.status}`);
        return (await response.json()) as { id: string; name: string };
      },
      {
        what: `business ${id} on node 2`,
        timeoutMs: PEER_CONNECT_TIMEOUT_MS,
        context: () => `${node(1).logTails()}\n${node(2).logTails()}`,
      },
    );
    expect(shown).toMatchObject({ id, name });
  });

  describe('when node 2 is started again with a different NEXTAUTH_SECRET', () => {
    const otherSecret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 53 + 7) % 256)).toString('base64');

    beforeAll(async () => {
      await cluster.replaceNode(2, { NEXTAUTH_SECRET: otherSecret });
      await peersConnected(node(2), 1);
    });

    it("node 2 answers node 1's session cookie with no session and logs JWT_SESSION_ERROR", async () => {
      const session = await signIn(node(1).appUrl, ADMIN.email, ADMIN.password);
      expect((await sessionAt(node(1).appUrl, session)).user?.email).toBe(ADMIN.email);
      expect(await sessionAt(node(2).appUrl, session)).toEqual({});
      await eventually(
        async () => {
          if (!node(2).appLog.text().includes('JWT_SESSION_ERROR')) throw new Error('not in the app log yet');
        },
        { what: "JWT_SESSION_ERROR in node 2's app log", timeoutMs: 5_000, context: () => node(2).logTails() },
      );
      expect(node(2).appLog.text()).not.toContain(otherSecret);
    });

    it('node 2 reports the mismatch: its /api/ready answers 503 naming NEXTAUTH_SECRET, while node 1 stays ready', async () => {
      const notReady = await eventually(
        async () => {
          const answer = await readiness(node(2));
          // While node 2's sync service starts, readiness is 503 with sync "unreachable": wait for the verdict.
          if (answer.status !== 503 || answer.body.checks.sync === 'unreachable')
            throw new Error(JSON.stringify(answer));
          return answer;
        },
        { what: 'node 2 not ready', timeoutMs: PEER_CONNECT_TIMEOUT_MS, context: () => node(2).logTails() },
      );
      expect(notReady.body.checks.sync).toBe('odd-one-out');
      expect(notReady.body.problems.join('\n')).toMatch(/NEXTAUTH_SECRET differs from peers node-1/);
      expect((await readiness(node(1))).status).toBe(200);
    });

    it('service:status inside both sync containers shows the peer whose NEXTAUTH_SECRET differs', async () => {
      for (const each of cluster.nodes) {
        const { output } = await each.serviceStatus();
        expect(output).toMatch(/differs: NEXTAUTH_SECRET/);
        expect(output).not.toContain(otherSecret);
      }
    });
  });
});
