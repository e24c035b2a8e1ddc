/**
 * Replication end to end on the local cluster (3 nodes, each with its own PostgreSQL, app and sync service):
 * writes through each node's app API reach every node's database, conflicts resolve the same everywhere, and a
 * stopped or wiped node catches up. Convergence = the engine's per-table order-independent hashes are equal on
 * every node's database.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { readEnvFile, startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { type ReplicatedTable, introspectTables, postgresTableHashes } from '@msk/replication';
import { REFERENCE_APP_REPLICATED_TABLES } from '@msk/contract';
import { eventually } from '../support/eventually';
import { type SignedInSession, signIn } from '../support/sessionClient';

const ADDRESS_BLOCK = 30;
const NODES = 3;
const CONVERGE_TIMEOUT_MS = 60_000;

type Hashes = Record<string, string>;

interface ReplicationPeerStatus {
  lag: { changes: number | null; ms: number | null };
  lastBatch: { kind: string; at: string } | null;
  conflictsResolved: number;
  errors: number;
}

interface NodeStatus {
  replication: {
    state: string;
    conflicts: {
      resolved: number;
      recent: Array<{ table: string; winnerPk: string; loserPk: string; renamedColumn: string; renamedTo: string }>;
    };
  };
  peers: Array<{ id: string | null; name: string | null; replication?: ReplicationPeerStatus }>;
}

describe('replication between three local nodes', () => {
  let cluster: StartedLocalCluster;
  let password: string;
  const pools = new Map<number, Pool>();
  let tables: ReplicatedTable[];

  const node = (index: number) => cluster.nodes[index - 1] as StartedLocalCluster['nodes'][number];
  const db = (index: number): Pool => {
    let pool = pools.get(index);
    if (!pool) {
      const url = new URL(node(index).postgresUrl);
      url.password = encodeURIComponent(password);
      pool = new Pool({ connectionString: url.toString(), max: 2 });
      pool.on('error', () => undefined);
      pools.set(index, pool);
    }
    return pool;
  };
  const forgetPool = async (index: number) => {
    await pools
      .get(index)
      ?.end()
      .catch(() => undefined);
    pools.delete(index);
  };

  const hashesOf = async (index: number): Promise<Hashes> => postgresTableHashes(db(index), tables);

  /** Waits until every node's tables hash the same (and `check` holds on node 1's hashes), returns them. */
  const converged = async (check: (hashes: Hashes) => boolean = () => true): Promise<Hashes> =>
    eventually(
      async () => {
        const all = await Promise.all(cluster.nodes.map((n) => hashesOf(n.index)));
        const first = JSON.stringify(all[0]);
        if (!all.every((h) => JSON.stringify(h) === first))
          throw new Error(`hashes differ: ${all.map((h) => JSON.stringify(h)).join(' | ')}`);
        if (!check(all[0] as Hashes)) throw new Error(`converged, but not on the expected state: ${first}`);
        return all[0] as Hashes;
      },
      { what: 'all nodes converging', timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 200 },
    );

  const sessions = new Map<string, SignedInSession>();
  const adminAt = async (index: number): Promise<SignedInSession> => {
    const key = `${index}:${node(index).appUrl}`;
    let session = sessions.get(key);
    if (!session) {
      session = await signIn(node(index).appUrl, cluster.admin.email, cluster.admin.password);
      sessions.set(key, session);
    }
    return session;
  };
  const api = async (
    index: number,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const session = await adminAt(index);
    const response = await fetch(`${node(index).appUrl}${path}`, {
      method,
      headers: { cookie: session.cookie, 'content-type': 'application/json', origin: node(index).appUrl },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const created = async (index: number, path: string, body: unknown): Promise<string> => {
    const answer = await api(index, 'POST', path, body);
    if (answer.status !== 201)
      throw new Error(`POST ${path} on node ${index}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
    return answer.json.id as string;
  };
  const statusOf = async (index: number): Promise<NodeStatus> =>
    (await (await fetch(`${node(index).syncUrl}/status`)).json()) as NodeStatus;
  const count = (hash: string | undefined) => Number((hash ?? '').split(':')[0]);
  const usersWithEmail = async (index: number, email: string) =>
    (
      await db(index).query<{ id: string; email: string }>(
        'SELECT id::text, email FROM users WHERE email = $1 OR email LIKE $2 ORDER BY id',
        [email, `${email}#conflict-%`],
      )
    ).rows;

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: NODES, addressBlock: ADDRESS_BLOCK });
    password = readEnvFile(join(cluster.dataDir, 'config', 'postgres-superuser.env')).POSTGRES_PASSWORD ?? '';
    tables = await eventually(() => introspectTables(db(1), REFERENCE_APP_REPLICATED_TABLES), {
      what: 'the app creating its tables on node 1',
      timeoutMs: CONVERGE_TIMEOUT_MS,
      intervalMs: 200,
    });
    await eventually(
      async () => {
        for (const n of cluster.nodes) {
          const status = await statusOf(n.index);
          if (status.replication?.state !== 'running')
            throw new Error(`${n.name}: ${JSON.stringify(status.replication)}`);
        }
      },
      { what: 'replication running on every node', timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 200 },
    );
  });
  afterAll(async () => {
    for (const index of [...pools.keys()]) await forgetPool(index);
    await cluster?.stop();
  });

  it('makes the first admin every node created one row, with no conflict, and one sign-in that works on every node', async () => {
    await converged((h) => count(h.users) === 1);
    for (const n of cluster.nodes) {
      const rows = await usersWithEmail(n.index, cluster.admin.email);
      expect(rows.filter((row) => row.email === cluster.admin.email)).toHaveLength(1);
      expect(rows.filter((row) => row.email.includes('#conflict-'))).toHaveLength(0);
      const session = await signIn(n.appUrl, cluster.admin.email, cluster.admin.password);
      expect(session.cookie).toContain('next-auth.session-token');
    }
    const winners = await Promise.all(
      cluster.nodes.map(
        async (n) =>
          (await usersWithEmail(n.index, cluster.admin.email)).find((r) => r.email === cluster.admin.email)?.id,
      ),
    );
    expect(new Set(winners).size).toBe(1);
  });

  it('converges writes made on every node at once: businesses, employees and edits', async () => {
    const before = await converged();
    const ids = await Promise.all(
      cluster.nodes.map(async (n) => {
        const mine: string[] = [];
        for (let i = 0; i < 4; i++) {
          const business = await created(n.index, '/api/businesses', { name: `shop ${n.index}-${i}`, type: 'retail' });
          await created(n.index, `/api/businesses/${business}/employees`, { name: `clerk ${n.index}-${i}` });
          mine.push(business);
        }
        return mine;
      }),
    );
    // every node edits a business another node created, once it has it
    await converged((h) => count(h.businesses) === count(before.businesses) + 12);
    await Promise.all(
      cluster.nodes.map(async (n) => {
        const other = ids[n.index % NODES]?.[0] as string;
        const answer = await api(n.index, 'PATCH', `/api/businesses/${other}`, {
          address: `edited on node ${n.index}`,
        });
        expect(answer.status).toBe(200);
      }),
    );
    const hashes = await converged((h) => count(h.employees) === count(before.employees) + 12);
    expect(count(hashes.businesses)).toBe(count(before.businesses) + 12);
    const addresses = await db(2).query<{ address: string }>(
      'SELECT address FROM businesses WHERE id = ANY($1::uuid[]) ORDER BY address',
      [ids.map((list) => list[0])],
    );
    expect(addresses.rows.map((r) => r.address)).toEqual(['edited on node 1', 'edited on node 2', 'edited on node 3']);
  });

  it('lets a user created on node 1 sign in on node 3', async () => {
    const email = `clerk-${Date.now()}@example.com`;
    await created(1, '/api/users', { email, name: 'Clerk', password: 'correct horse battery staple 1' });
    const session = await eventually(() => signIn(node(3).appUrl, email, 'correct horse battery staple 1'), {
      what: 'the new user signing in on node 3',
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(session.cookie).toContain('next-auth.session-token');
  });

  it('lets a delete that is newer than a concurrent update win on every node', async () => {
    const business = await created(1, '/api/businesses', { name: 'to be closed', type: 'services' });
    await converged();
    await cluster.killProcess(2, 'sync'); // node 2 keeps serving, but hears nothing and tells nothing
    expect((await api(2, 'PATCH', `/api/businesses/${business}`, { name: 'renamed while apart' })).status).toBe(200);
    await sleep(20);
    expect((await api(1, 'DELETE', `/api/businesses/${business}`)).status).toBeLessThan(300);
    await cluster.startNode(2);
    await converged();
    for (const n of cluster.nodes) {
      expect((await db(n.index).query('SELECT 1 FROM businesses WHERE id = $1', [business])).rowCount).toBe(0);
    }
  });

  it('resolves a delete racing an update the same way on every node', async () => {
    const business = await created(3, '/api/businesses', { name: 'raced', type: 'services' });
    await converged();
    await Promise.all([
      api(1, 'DELETE', `/api/businesses/${business}`),
      api(2, 'PATCH', `/api/businesses/${business}`, { name: 'raced and renamed' }),
    ]);
    await converged();
    const states = await Promise.all(
      cluster.nodes.map(async (n) =>
        JSON.stringify((await db(n.index).query('SELECT name FROM businesses WHERE id = $1', [business])).rows),
      ),
    );
    expect(new Set(states).size).toBe(1);
  });

  it('resolves two users created with the same email on two nodes apart the same way everywhere, and shows it in status', async () => {
    const email = `twin-${Date.now()}@example.com`;
    await cluster.killProcess(2, 'sync');
    const onNode1 = await created(1, '/api/users', { email, name: 'Twin one', password: 'twin password number one' });
    const onNode2 = await created(2, '/api/users', { email, name: 'Twin two', password: 'twin password number two' });
    await eventually(
      async () => {
        if ((await usersWithEmail(3, email)).length !== 1) throw new Error('not yet');
      },
      { what: "node 3 receiving node 1's user", timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 200 },
    );
    await cluster.startNode(2);
    await converged();
    const outcomes = await Promise.all(cluster.nodes.map((n) => usersWithEmail(n.index, email)));
    for (const rows of outcomes) {
      expect(rows.map((r) => r.id).sort()).toEqual([onNode1, onNode2].sort());
      expect(rows.filter((r) => r.email === email)).toHaveLength(1);
    }
    expect(new Set(outcomes.map((rows) => JSON.stringify(rows))).size).toBe(1);
    const winner = outcomes[0]?.find((r) => r.email === email)?.id;
    const loser = winner === onNode1 ? onNode2 : onNode1;
    const winnerPassword = winner === onNode1 ? 'twin password number one' : 'twin password number two';
    await signIn(node(3).appUrl, email, winnerPassword);

    const recorded = await eventually(
      async () => {
        const statuses = await Promise.all(cluster.nodes.map((n) => statusOf(n.index)));
        const records = statuses.flatMap((s) =>
          s.replication.conflicts.recent.filter((c) => c.loserPk === loser || c.winnerPk === loser),
        );
        if (records.length === 0) throw new Error(JSON.stringify(statuses.map((s) => s.replication.conflicts)));
        return records;
      },
      { what: 'the conflict in status', timeoutMs: 10_000, intervalMs: 200 },
    );
    for (const record of recorded)
      expect(record).toMatchObject({ table: 'users', winnerPk: winner, loserPk: loser, renamedColumn: 'email' });
    expect(recorded[0]?.renamedTo).toMatch(new RegExp(`^${email.replace(/[.]/g, '\\.')}#conflict-[0-9a-f]{12}$`));
  });

  it('brings a node that was stopped for a while up to date when it starts', async () => {
    await cluster.stopNode(3);
    await forgetPool(3);
    const business = await created(1, '/api/businesses', { name: 'opened while node 3 was down', type: 'restaurant' });
    await eventually(
      async () => {
        if ((await db(2).query('SELECT 1 FROM businesses WHERE id = $1', [business])).rowCount !== 1)
          throw new Error('not yet');
      },
      { what: 'node 2 receiving the business', timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 200 },
    );
    await created(2, `/api/businesses/${business}/employees`, { name: 'cook' });
    await created(2, '/api/businesses', { name: 'another while node 3 was down', type: 'other' });
    const expected = await eventually(
      async () => {
        const [one, two] = await Promise.all([hashesOf(1), hashesOf(2)]);
        if (JSON.stringify(one) !== JSON.stringify(two)) throw new Error('not yet');
        return one;
      },
      { what: 'nodes 1 and 2 agreeing', timeoutMs: CONVERGE_TIMEOUT_MS, intervalMs: 200 },
    );
    await cluster.startNode(3);
    expect(await converged()).toEqual(expected);
  });

  it('loads a node started with an empty database from its peers, and it catches up', async () => {
    await cluster.stopNode(3);
    await forgetPool(3);
    rmSync(join(cluster.dataDir, 'node-3', 'postgres'), { recursive: true, force: true });
    await created(1, '/api/businesses', { name: 'opened while node 3 was wiped', type: 'retail' });
    await cluster.startNode(3);
    sessions.clear();
    const hashes = await converged();
    expect(count(hashes.businesses)).toBeGreaterThan(10);
    await created(3, '/api/businesses', { name: 'opened on the reloaded node 3', type: 'retail' });
    const after = await converged((h) => count(h.businesses) === count(hashes.businesses) + 1);
    expect(count(after.users)).toBe(count(hashes.users));
    const status = await statusOf(3);
    expect(
      status.peers.some((p) => (p.replication as unknown as { initialLoads: number } | undefined)?.initialLoads === 1),
    ).toBe(true);
    await signIn(node(3).appUrl, cluster.admin.email, cluster.admin.password);
  });

  it('shows per-peer lag, last batch, conflicts and errors in the status document and in service:status', async () => {
    await eventually(
      async () => {
        for (const n of cluster.nodes) {
          const status = await statusOf(n.index);
          expect(status.peers).toHaveLength(NODES - 1);
          for (const peer of status.peers) {
            expect(peer.replication).toEqual(
              expect.objectContaining({
                lag: { changes: expect.any(Number), ms: expect.any(Number) },
                lastBatch: expect.objectContaining({ kind: expect.any(String), at: expect.any(String) }),
                conflictsResolved: expect.any(Number),
                errors: expect.any(Number),
              }),
            );
          }
        }
      },
      { what: 'every peer row carrying replication figures', timeoutMs: 15_000, intervalMs: 200 },
    );
    const result = spawnSync(
      process.execPath,
      [join(__dirname, '..', '..', 'sync', 'dist', 'cli', 'main.js'), 'status', '--cluster', cluster.dataDir],
      {
        encoding: 'utf8',
        cwd: cluster.dataDir,
      },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.match(/Replication: running/g)).toHaveLength(NODES);
    expect(result.stdout).toMatch(/PEER\s+LAG \(CHANGES\)\s+LAG \(MS\)\s+LAST BATCH\s+CONFLICTS\s+ERRORS/);
  });
});
