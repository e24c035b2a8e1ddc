/**
 * Faults on a 3-node local cluster, each under a stream of writes, then healed: afterwards every node's per-table
 * hashes are equal and every write the client got a 2xx for is on every node. The rolling restart also proves
 * that a client of the entry point sees no unretried failure and is never signed out. The cluster runs with the
 * default SYNC_MAX_CLOCK_SKEW_MS, so a clock-ahead fault of the mix (a node seconds ahead) must keep the node in.
 * The soak (tests/soak/soak.js) runs the same random mix for longer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type StartedLocalCluster } from '@msk/kit/cluster';
import { VARIABLES } from '@msk/contract';
import { ClusterDatabases, rowCount, rollingRestartUnderLoad } from '../support/clusterChecks';
import { QUIESCE_TIMEOUT_MS, SUITE_NODES, startReadyCluster, startSignedInCluster } from '../support/clusterFixture';
import { eventually } from '../support/eventually';
import {
  CLOCK_AHEAD_MS,
  describePlan,
  type FaultOutcome,
  type FaultPlan,
  faultSequence,
  lostCount,
  planFaults,
  runFault,
} from '../support/faultMix';
import { type Session, newCounters, signInRetrying, WriteStream } from '../support/retryingClient';
import { TcpProxy } from '../support/tcpProxy';

const ADDRESS_BLOCK = 40;
const MIX_COUNT = 4;
const MIX_SEED = Number(process.env.MSK_FAULT_SEED ?? 20261128);

describe('the seeded fault mix', () => {
  it('draws the same faults from the same seed, and puts every clock-ahead node seconds ahead yet inside the default skew bound', () => {
    expect(planFaults(MIX_SEED, 60, SUITE_NODES)).toEqual(planFaults(MIX_SEED, 60, SUITE_NODES));
    const sequence = faultSequence(7, SUITE_NODES);
    const plans = Array.from({ length: 300 }, () => sequence.next().value as FaultPlan);
    const offsets = plans.filter((p) => p.kind === 'clock-ahead').map((p) => p.clockOffsetMs as number);
    expect(offsets.length).toBeGreaterThan(0);
    expect(plans.filter((p) => p.kind !== 'clock-ahead' && p.clockOffsetMs !== undefined)).toEqual([]);
    const bound = Number(VARIABLES.find((v) => v.name === 'SYNC_MAX_CLOCK_SKEW_MS')?.default);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(CLOCK_AHEAD_MS.min);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(CLOCK_AHEAD_MS.max);
    expect(CLOCK_AHEAD_MS.min).toBeGreaterThanOrEqual(1_000);
    expect(CLOCK_AHEAD_MS.max).toBeLessThan(bound / 2);
  });
});

describe('faults on a three-node cluster under writes', () => {
  let cluster: StartedLocalCluster;
  let dbs: ClusterDatabases;
  let session: Session;

  const expectSurvived = (outcome: FaultOutcome) => {
    console.log(
      `${outcome.plan.kind}@${outcome.plan.node}: ${outcome.acknowledged} acknowledged, ${outcome.unacknowledged} not ${JSON.stringify(outcome.unacknowledgedBy)}, ` +
        `healed after ${outcome.healedAfterMs} ms, quiesced in ${outcome.quiesceMs} ms, lost ${lostCount(outcome)}`,
    );
    expect({ error: outcome.error, hashesEqual: outcome.hashesEqual, lost: lostCount(outcome) }).toEqual({
      error: undefined,
      hashesEqual: true,
      lost: 0,
    });
    expect(outcome.acknowledged).toBeGreaterThan(0);
  };
  const fault = (kind: FaultPlan['kind'], node: number, downMs = 1_000) =>
    runFault(cluster, dbs, session, { kind, node, downMs }, QUIESCE_TIMEOUT_MS);

  beforeAll(async () => {
    // every node made the same first-admin row
    ({ cluster, dbs, session } = await startSignedInCluster(
      { nodes: SUITE_NODES, addressBlock: ADDRESS_BLOCK },
      { firstAdminWithinMs: QUIESCE_TIMEOUT_MS },
    ));
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loses no acknowledged write when a sync service is killed with -9 mid-stream and restarted', async () => {
    expectSurvived(await fault('kill-sync', 2));
  });

  it('loses no acknowledged write when an app is killed with -9 mid-write and the client retries through the entry point', async () => {
    expectSurvived(await fault('kill-app', 1, 500));
  });

  it("loses no acknowledged write when a node's PostgreSQL is killed with -9 and the node restarted", async () => {
    expectSurvived(await fault('kill-postgres', 3));
  });

  it("keeps a node's sync service running and reporting while its PostgreSQL is down, and its API answers a signed-in user 503 (retry), not 401", async () => {
    const node = (await cluster.state()).nodes.find((n) => n.index === 2);
    const syncPid = node?.pids.sync as number;
    const appUrl = node?.appUrl as string;
    const session = await signInRetrying(appUrl, cluster.admin.email, cluster.admin.password, newCounters());
    expect((await fetch(`${appUrl}/api/businesses`, { headers: { cookie: session.cookie } })).status).toBe(200); // the session's standing is now cached for 2 s
    await cluster.killProcess(2, 'postgres');
    // Within that cache the session stands, and the write itself finds no database: 503, not a 500 "server bug".
    const write = await fetch(`${appUrl}/api/businesses`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json', origin: appUrl },
      body: JSON.stringify({ name: 'while the database is down', type: 'retail' }),
    });
    // (On a machine slow enough to pass the 2 s, the session check itself finds no database: also a 503.)
    const writeError = ((await write.json()) as { error?: string }).error;
    expect({ status: write.status, retryAfter: write.headers.get('retry-after') }).toEqual({
      status: 503,
      retryAfter: '2',
    });
    expect(['database_unavailable', 'session_unverifiable']).toContain(writeError);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // past the session standing cache (2 s)
    expect(() => process.kill(syncPid, 0)).not.toThrow(); // still alive: a lost database is not a crash
    expect((await fetch(`${node?.syncUrl}/status`)).status).toBe(200);
    // The user is not signed out by a database outage: the API says "try again", not "sign in".
    const during = await fetch(`${appUrl}/api/businesses`, { headers: { cookie: session.cookie } });
    expect({
      status: during.status,
      retryAfter: during.headers.get('retry-after'),
      error: ((await during.json()) as { error?: string }).error,
    }).toEqual({ status: 503, retryAfter: '2', error: 'session_unverifiable' });
    await cluster.startNode(2);
    expect((await cluster.state()).nodes.find((n) => n.index === 2)?.pids.sync).toBe(syncPid);
    await dbs.quiesce(QUIESCE_TIMEOUT_MS);
  });

  it('reloads a node wiped and restarted while the others keep writing, and loses nothing', async () => {
    const before = await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    const outcome = await fault('wipe-node', 3, 1_500);
    expectSurvived(outcome);
    const after = await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    expect(rowCount(after.businesses)).toBeGreaterThanOrEqual(rowCount(before.businesses) + outcome.acknowledged);
  });

  it('restarts every node in turn while a client signs in and writes through the entry point: no unretried failure, no logout', async () => {
    const { counters, acknowledged, logouts } = await rollingRestartUnderLoad(cluster, 'rolling restart');
    await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    const missing = await dbs.missingOnEachNode(acknowledged);
    expect({ failures: counters.failures, logouts }).toEqual({ failures: [], logouts: [] });
    expect(Object.values(missing).flat()).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
  });

  it(`survives a seeded random mix of ${MIX_COUNT} faults (seed ${MIX_SEED}, set MSK_FAULT_SEED to replay) without losing a write`, async () => {
    const plans = planFaults(MIX_SEED, MIX_COUNT, SUITE_NODES);
    console.log(`fault mix seed ${MIX_SEED}: ${plans.map(describePlan).join(', ')}`);
    const outcomes: FaultOutcome[] = [];
    for (const plan of plans) outcomes.push(await runFault(cluster, dbs, session, plan, QUIESCE_TIMEOUT_MS));
    const table = outcomes.map((o) => ({
      fault: `${o.plan.kind}@${o.plan.node}${o.plan.clockOffsetMs === undefined ? '' : ` +${o.plan.clockOffsetMs}ms`}`,
      acknowledged: o.acknowledged,
      unacknowledged: o.unacknowledged,
      lost: lostCount(o),
      hashesEqual: o.hashesEqual,
      quiesceMs: o.quiesceMs,
      error: o.error,
    }));
    console.table(table);
    expect(table.filter((row) => row.lost > 0 || !row.hashesEqual || row.error)).toEqual([]);
  });
});

describe('a network partition: node 1 cut off from nodes 2 and 3 by TCP proxies on the peer links', () => {
  const PARTITION_BLOCK = ADDRESS_BLOCK + 1;
  const SYNC_PORT = 8765;
  const host = (index: number) => `127.0.${PARTITION_BLOCK}.${index + 1}`;
  /** proxies.get('1>2') carries node 1's connections to node 2's sync service. */
  const proxies = new Map<string, TcpProxy>();
  let cluster: StartedLocalCluster;
  let dbs: ClusterDatabases;

  beforeAll(async () => {
    for (let from = 1; from <= SUITE_NODES; from++) {
      for (let to = 1; to <= SUITE_NODES; to++) {
        if (from === to) continue;
        proxies.set(
          `${from}>${to}`,
          await TcpProxy.start(
            { host: `127.0.${PARTITION_BLOCK}.${100 + 10 * from + to}`, port: SYNC_PORT },
            { host: host(to), port: SYNC_PORT },
          ),
        );
      }
    }
    const overrides: Record<number, { SYNC_PEERS: string }> = {};
    for (let from = 1; from <= SUITE_NODES; from++) {
      overrides[from] = {
        SYNC_PEERS: [...proxies.entries()]
          .filter(([key]) => key.startsWith(`${from}>`))
          .map(([, proxy]) => proxy.address)
          .join(','),
      };
    }
    ({ cluster, dbs } = await startReadyCluster(
      { nodes: SUITE_NODES, addressBlock: PARTITION_BLOCK, overrides },
      { firstAdminWithinMs: QUIESCE_TIMEOUT_MS },
    ));
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
    for (const proxy of proxies.values()) await proxy.close();
  });

  it('keeps both sides writing while apart, then converges with every acknowledged write on every node', async () => {
    const [one, two] = cluster.nodes;
    const onOne = await signInRetrying(
      one?.appUrl as string,
      cluster.admin.email,
      cluster.admin.password,
      newCounters(),
    );
    const onTwo = await signInRetrying(
      two?.appUrl as string,
      cluster.admin.email,
      cluster.admin.password,
      newCounters(),
    );
    await eventually(
      async () => {
        const counts = await cluster.peersConnected();
        if (Object.values(counts).some((n) => n !== SUITE_NODES - 1)) throw new Error(JSON.stringify(counts));
      },
      { what: 'every node connected to both others through the proxies', timeoutMs: 30_000 },
    );

    for (const [key, proxy] of proxies) if (key.includes('1')) proxy.cut();
    const streams = [
      new WriteStream(onOne, () => [one?.appUrl as string], 'partition side 1'),
      new WriteStream(onTwo, () => [two?.appUrl as string], 'partition side 2'),
    ];
    try {
      await eventually(
        async () => {
          const counts = await cluster.peersConnected();
          if (counts['1'] !== 0) throw new Error(JSON.stringify(counts));
        },
        { what: 'node 1 losing both peers', timeoutMs: 30_000 },
      );
      await sleep(2_000);
      // the cut holds: what node 1 acknowledged is not on node 2, and the other way round
      const [fromOne, fromTwo] = streams.map((s) => s.acknowledged.slice(0, 5));
      const missing = await dbs.missingOnEachNode([...(fromOne as string[]), ...(fromTwo as string[])]);
      expect(missing['node-2']).toEqual(expect.arrayContaining(fromOne as string[]));
      expect(missing['node-1']).toEqual(expect.arrayContaining(fromTwo as string[]));
    } finally {
      for (const proxy of proxies.values()) proxy.heal();
    }
    await sleep(500);
    for (const stream of streams) await stream.stop();
    await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    const acknowledged = streams.flatMap((s) => s.acknowledged);
    const missing = await dbs.missingOnEachNode(acknowledged);
    console.log(
      `partition: ${acknowledged.length} writes acknowledged on both sides, ${Object.values(missing).flat().length} missing after heal`,
    );
    expect(streams.every((s) => s.acknowledged.length > 0)).toBe(true);
    expect(Object.values(missing).flat()).toEqual([]);
  });
});
