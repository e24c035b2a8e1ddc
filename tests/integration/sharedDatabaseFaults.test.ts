/**
 * The fault suite's relevant kinds on the shared topology (`--database shared`: three nodes' apps and sync services
 * on ONE PostgreSQL, node 1's): an app killed with -9, a rolling restart of every node, the shared PostgreSQL
 * killed with -9 or stopped cleanly, and started again. Each runs under a stream of writes through the apps' HTTP API; afterwards
 * every write the client got a 2xx for is readable through every node's app (GET /api/businesses), and the sync
 * services still agree that they share one database. Replication is off here, so there are no hashes to compare
 * between databases: the check is through the apps, which is what a user sees.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type StartedLocalCluster } from '@msk/kit/cluster';
import { ClusterDatabases, rollingRestartUnderLoad } from '../support/clusterChecks';
import { QUIESCE_TIMEOUT_MS, SUITE_NODES, startSignedInCluster } from '../support/clusterFixture';
import { eventually } from '../support/eventually';
import { type FaultOutcome, type FaultPlan, lostCount, runFault } from '../support/faultMix';
import { type Session, newCounters, retryingFetch, WriteStream, writeBusiness } from '../support/retryingClient';

const ADDRESS_BLOCK = 44;
const RECOVERY_TIMEOUT_MS = 60_000;

interface DatabaseStatus {
  sharedWith: string[];
  problem: string | null;
}

describe('faults on three nodes sharing one PostgreSQL, under writes through the apps', () => {
  let cluster: StartedLocalCluster;
  let dbs: ClusterDatabases;
  let session: Session;

  /** Per node: the acknowledged ids its app does not list (GET /api/businesses through that node, signed in). */
  const missingThroughEachApp = async (ids: readonly string[]): Promise<Record<string, string[]>> => {
    const result: Record<string, string[]> = {};
    for (const node of cluster.nodes) {
      const answer = await retryingFetch(
        `${node.appUrl}/api/businesses`,
        { headers: { cookie: session.cookie } },
        newCounters(),
      );
      if (answer.status !== 200)
        throw new Error(`GET ${node.appUrl}/api/businesses: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
      const listed = new Set(
        (JSON.parse(answer.text) as { businesses: Array<{ id: string }> }).businesses.map((b) => b.id),
      );
      result[node.name] = ids.filter((id) => !listed.has(id));
    }
    return result;
  };

  const everyNodeSharing = (started = cluster) =>
    eventually(
      async () => {
        for (const node of started.nodes) {
          const { database } = (await (await fetch(`${node.syncUrl}/status`)).json()) as {
            database: DatabaseStatus | null;
          };
          if (database?.sharedWith.length !== SUITE_NODES - 1 || database.problem)
            throw new Error(`${node.name}: ${JSON.stringify(database)}`);
        }
      },
      {
        what: `every node's sync service sharing the database with the ${SUITE_NODES - 1} others, no problem reported`,
        timeoutMs: RECOVERY_TIMEOUT_MS,
      },
    );

  const everyAppReady = () =>
    eventually(
      async () => {
        for (const node of cluster.nodes) {
          const response = await fetch(`${node.appUrl}/api/ready`);
          if (response.status !== 200)
            throw new Error(`${node.name}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
        }
      },
      { what: 'every app ready', timeoutMs: RECOVERY_TIMEOUT_MS },
    );

  /** After a fault: apps ready, the topology agreed again, every acknowledged write listed by every app. */
  const expectNothingLost = async (acknowledged: readonly string[], label: string) => {
    await everyAppReady();
    await everyNodeSharing();
    const missing = await missingThroughEachApp(acknowledged);
    console.log(
      `${label}: ${acknowledged.length} writes acknowledged, missing through the apps: ${JSON.stringify(Object.fromEntries(Object.entries(missing).map(([k, v]) => [k, v.length])))}`,
    );
    expect(missing).toEqual(Object.fromEntries(cluster.nodes.map((n) => [n.name, []])));
    expect(acknowledged.length).toBeGreaterThan(0);
  };

  const expectSurvived = async (outcome: FaultOutcome, acknowledgedIds: readonly string[]) => {
    const label = `${outcome.plan.kind}@${outcome.plan.node}`;
    console.log(
      `${label}: ${outcome.acknowledged} acknowledged, ${outcome.unacknowledged} not ${JSON.stringify(outcome.unacknowledgedBy)}, ` +
        `healed after ${outcome.healedAfterMs} ms, lost (in the database) ${lostCount(outcome)}`,
    );
    expect({ error: outcome.error, lost: lostCount(outcome) }).toEqual({ error: undefined, lost: 0 });
    await expectNothingLost(acknowledgedIds, label);
  };

  /** runFault from the fault suite, keeping the acknowledged ids so they can be read back through every app. */
  const fault = async (kind: FaultPlan['kind'], node: number, downMs: number) => {
    const before = new Set(await allBusinessIds());
    const outcome = await runFault(cluster, dbs, session, { kind, node, downMs }, QUIESCE_TIMEOUT_MS);
    const written = (await allBusinessIds()).filter((id) => !before.has(id));
    return { outcome, written };
  };
  const allBusinessIds = async () =>
    dbs.query(1, async (pool) =>
      (await pool.query<{ id: string }>('SELECT id::text AS id FROM businesses')).rows.map((r) => r.id),
    );

  beforeAll(async () => {
    ({ cluster, dbs, session } = await startSignedInCluster(
      { nodes: SUITE_NODES, addressBlock: ADDRESS_BLOCK, database: 'shared' },
      { ready: everyNodeSharing },
    ));
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs every node on one PostgreSQL process', () => {
    const pids = new Set(cluster.nodes.map((n) => n.pids.postgres));
    expect(pids.size).toBe(1);
    expect([...pids][0]).toEqual(expect.any(Number));
  });

  it('loses no acknowledged write when an app is killed with -9 mid-write and the client retries through the entry point', async () => {
    const { outcome, written } = await fault('kill-app', 2, 500);
    expect(outcome.acknowledged).toBeGreaterThan(0);
    // every acknowledged id is among the rows written meanwhile (runFault looked each one up in the database)
    expect(written.length).toBeGreaterThanOrEqual(outcome.acknowledged);
    await expectSurvived(outcome, written);
  });

  it('loses no acknowledged write when the shared PostgreSQL is killed with -9 and started again; apps and sync services stay up and recover', async () => {
    const pidsBefore = (await cluster.state()).nodes.map((n) => ({ app: n.pids.app, sync: n.pids.sync }));
    const { outcome, written } = await fault('kill-postgres', 1, 2_000);
    // the database restart did not take a process with it: the same apps and sync services serve afterwards
    expect((await cluster.state()).nodes.map((n) => ({ app: n.pids.app, sync: n.pids.sync }))).toEqual(pidsBefore);
    await expectSurvived(outcome, written);
    // and they write again, through every node
    for (const node of cluster.nodes)
      expect(
        await writeBusiness(node.appUrl, session, `after the database restart via ${node.name}`, newCounters()),
      ).toEqual(expect.any(String));
  });

  it('loses no acknowledged write when the shared PostgreSQL is stopped cleanly (fast shutdown, as in a restart or switchover) and started again', async () => {
    const stream = new WriteStream(session, () => [cluster.entryUrl], 'clean database restart');
    try {
      await sleep(400);
      await cluster.stopPostgres(1);
      await sleep(1_500);
      await cluster.startNode(1);
      await sleep(400);
    } finally {
      await stream.stop();
    }
    console.log(
      `clean database restart: ${stream.acknowledged.length} acknowledged, ${stream.counters.failures.length} not (${[...new Set(stream.counters.failures.map((f) => f.detail.slice(0, 40)))].join('; ')})`,
    );
    await expectNothingLost(stream.acknowledged, 'clean database restart');
  });

  it("refuses to stop a PostgreSQL on a node that runs none (the nodes share node 1's)", async () => {
    await expect(cluster.stopPostgres(2)).rejects.toThrow("node 2 runs no PostgreSQL: every node shares node-1's");
  });

  it('while the shared PostgreSQL is down: the apps report not ready and answer 503 (retry) without clearing the session cookie, the sync services keep running and connected; the same session works after', async () => {
    const syncPids = (await cluster.state()).nodes.map((n) => n.pids.sync as number);
    await cluster.killProcess(1, 'postgres');
    try {
      await eventually(
        async () => {
          for (const node of cluster.nodes) {
            const response = await fetch(`${node.appUrl}/api/ready`);
            const { checks } = (await response.json()) as { checks?: { database?: string } };
            if (response.status !== 503 || checks?.database !== 'failed')
              throw new Error(`${node.name}: HTTP ${response.status} ${JSON.stringify(checks)}`);
          }
        },
        { what: 'every app not ready while the database is down', timeoutMs: 30_000 },
      );
      // the sync services stay connected to each other without their database
      expect(Object.values(await cluster.peersConnected())).toEqual(cluster.nodes.map(() => SUITE_NODES - 1));
      for (const [i, node] of cluster.nodes.entries()) {
        expect(() => process.kill(syncPids[i] as number, 0)).not.toThrow();
        expect((await fetch(`${node.syncUrl}/status`)).status).toBe(200);
        // a session that cannot be checked is refused for this request only: the cookie is not cleared
        const check = await fetch(`${node.appUrl}/api/auth/session`, { headers: { cookie: session.cookie } });
        expect(check.headers.getSetCookie().filter((c) => /session-token=;/.test(c))).toEqual([]);
        // 503 with Retry-After: the session cannot be checked (or, within its cached standing, the query finds no database)
        const api = await fetch(`${node.appUrl}/api/businesses`, { headers: { cookie: session.cookie } });
        const { error } = (await api.json()) as { error?: string };
        expect({ status: api.status, retryAfter: api.headers.get('retry-after') }).toEqual({
          status: 503,
          retryAfter: '2',
        });
        expect(['session_unverifiable', 'database_unavailable']).toContain(error);
      }
    } finally {
      await cluster.startNode(1);
    }
    await everyAppReady();
    await everyNodeSharing();
    expect((await cluster.state()).nodes.map((n) => n.pids.sync)).toEqual(syncPids);
    // the same session works again on every node once the database is back
    for (const node of cluster.nodes) {
      const after = (await (
        await fetch(`${node.appUrl}/api/auth/session`, { headers: { cookie: session.cookie } })
      ).json()) as { user?: { email?: string } };
      expect(after.user?.email).toBe(cluster.admin.email);
    }
  });

  it('restarts every node in turn while a client signs in and writes through the entry point: no unretried failure, no logout, nothing lost', async () => {
    const { counters, acknowledged, logouts } = await rollingRestartUnderLoad(cluster, 'rolling restart (shared)');
    expect({ failures: counters.failures, logouts }).toEqual({ failures: [], logouts: [] });
    await expectNothingLost(acknowledged, 'rolling restart (shared)');
    // the shared PostgreSQL kept running through it: one process, the same for every node
    expect(new Set((await cluster.state()).nodes.map((n) => n.pids.postgres)).size).toBe(1);
  });
});
