/**
 * Clock skew on a 3-node local cluster (127.0.50.x). A node's clock is shifted with SYNC_CLOCK_OFFSET_MS, which
 * moves both its sync service's clock (heartbeats, handshakes) and the stamps its PostgreSQL capture triggers
 * write. Every node runs with SYNC_MAX_CLOCK_SKEW_MS=6000 (the default 10000 would only make the second drill
 * longer): a node 4 s ahead stays in the cluster, a node 20 s ahead is refused until its clock is fixed. Each
 * drill ends like the other faults: heal, quiesce, every node's per-table hashes equal, no acknowledged write lost.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type StartedLocalCluster } from '@msk/kit/cluster';
import { ClusterDatabases } from '../support/clusterChecks';
import { QUIESCE_TIMEOUT_MS, SUITE_NODES, startSignedInCluster } from '../support/clusterFixture';
import { eventually } from '../support/eventually';
import { type Session, WriteStream, newCounters, retryingFetch, writeBusiness } from '../support/retryingClient';

const ADDRESS_BLOCK = 50;
const MAX_CLOCK_SKEW_MS = 6_000;
const AHEAD_MS = 4_000;
const BEYOND_MS = 20_000;
const SYNC_CLI = join(__dirname, '..', '..', 'sync', 'dist', 'cli', 'main.js');

interface PeerStatus {
  name: string | null;
  authState: string;
  clockSkewMs: number | null;
  replication?: { failing: boolean; lastError: string | null; appliedChanges: number; errors: number };
}
interface NodeStatus {
  peersConnected: number;
  peers: PeerStatus[];
  refused: Array<{ name: string | null; reason: string; summary: string; message: string; side: string }>;
  warnings: string[];
}

describe('clock skew on a three-node cluster under writes', () => {
  let cluster: StartedLocalCluster;
  let dbs: ClusterDatabases;
  let session: Session;
  const cliDir = mkdtempSync(join(tmpdir(), 'msk-clock-skew-'));

  const node = (index: number) => cluster.nodes[index - 1] as StartedLocalCluster['nodes'][number];
  const statusOf = async (index: number): Promise<NodeStatus> =>
    (await (await fetch(`${node(index).syncUrl}/status`)).json()) as NodeStatus;
  const peerOn = async (index: number, peerName: string) =>
    (await statusOf(index)).peers.find((p) => p.name === peerName);
  /** The operators' `status` command, run against one node's sync port (from an empty folder: no .env.local). */
  const statusCommand = async (index: number): Promise<string> =>
    (
      await promisify(execFile)(
        process.execPath,
        [SYNC_CLI, 'status', '--address', new URL(node(index).syncUrl).host],
        { cwd: cliDir },
      )
    ).stdout;
  /** Restarts a node (gracefully: sync, app, PostgreSQL) with its clock shifted by offsetMs. */
  const restartWithClockOffset = async (index: number, offsetMs: number) => {
    await cluster.stopNode(index);
    await cluster.startNode(index, { SYNC_CLOCK_OFFSET_MS: String(offsetMs) });
  };
  const allConnected = () =>
    eventually(
      async () => {
        const counts = await cluster.peersConnected();
        if (Object.values(counts).some((n) => n !== SUITE_NODES - 1)) throw new Error(JSON.stringify(counts));
      },
      { what: 'every node connected to both others', timeoutMs: 30_000 },
    );
  const businessName = (index: number, id: string) =>
    dbs.query(
      index,
      async (pool) =>
        (await pool.query<{ name: string }>('SELECT name FROM businesses WHERE id = $1', [id])).rows[0]?.name,
    );
  /** The newest stamp replication keeps for a row, and its wall-clock part. */
  const newestStamp = async (index: number, id: string) => {
    const hlc = await dbs.query(
      index,
      async (pool) =>
        (
          await pool.query<{ hlc: string }>(
            "SELECT max_hlc AS hlc FROM msk_sync.change_log WHERE tbl = 'businesses' AND pk = $1",
            [id],
          )
        ).rows[0]?.hlc,
    );
    if (!hlc) throw new Error(`node ${index} has no replicated state for business ${id}`);
    return { hlc, wallMs: parseInt(hlc.slice(0, 12), 16) };
  };
  const patchName = async (index: number, id: string, name: string) => {
    const base = node(index).appUrl;
    const answer = await retryingFetch(
      `${base}/api/businesses/${id}`,
      {
        method: 'PATCH',
        headers: { cookie: session.cookie, 'content-type': 'application/json', origin: base },
        body: JSON.stringify({ name }),
      },
      newCounters(),
    );
    if (answer.status !== 200)
      throw new Error(`PATCH on node ${index}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  };
  const expectNothingLost = async (acknowledged: readonly string[]) => {
    const missing = await dbs.missingOnEachNode(acknowledged);
    expect(Object.values(missing).flat()).toEqual([]);
  };

  beforeAll(async () => {
    const everyNode = { SYNC_MAX_CLOCK_SKEW_MS: String(MAX_CLOCK_SKEW_MS) };
    ({ cluster, dbs, session } = await startSignedInCluster(
      { nodes: SUITE_NODES, addressBlock: ADDRESS_BLOCK, overrides: { 1: everyNode, 2: everyNode, 3: everyNode } },
      { firstAdminWithinMs: QUIESCE_TIMEOUT_MS },
    ));
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(cliDir, { recursive: true, force: true });
  });

  it(`keeps a node whose clock is ${AHEAD_MS / 1000} s ahead connected and converging, and a write made after seeing its change still wins`, async () => {
    const stream = new WriteStream(session, () => [cluster.entryUrl], 'clock ahead');
    try {
      await sleep(300);
      await restartWithClockOffset(2, AHEAD_MS);
      await allConnected();
      // (right after the reconnect, status may still show the skew measured before the restart)
      const skew = await eventually(
        async () => {
          const peer = await peerOn(1, node(2).name);
          expect(peer?.authState).toBe('authenticated');
          expect(Math.abs((peer?.clockSkewMs ?? 0) - AHEAD_MS)).toBeLessThan(500);
          return peer?.clockSkewMs as number;
        },
        { what: "node 1 measuring node 2's clock about 4 s ahead", timeoutMs: 10_000, intervalMs: 100 },
      );
      expect((await statusOf(2)).warnings.join('\n')).toMatch(/SYNC_CLOCK_OFFSET_MS is 4000/);

      // Causality: node 2 (ahead) changes a row, node 1 sees it and changes it again at once. Node 1's own clock
      // is still behind node 2's stamp, so only the hybrid clock keeps node 1's later write the winner.
      const id = await writeBusiness(node(1).appUrl, session, 'causality', newCounters());
      if (!id) throw new Error('creating the causality row failed');
      await eventually(async () => expect(await businessName(2, id)).toBe('causality'), {
        what: 'node 2 having the row',
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      await patchName(2, id, 'set on node 2 (clock ahead)');
      await eventually(async () => expect(await businessName(1, id)).toBe('set on node 2 (clock ahead)'), {
        what: "node 1 applying node 2's change",
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      const skewedStamp = await newestStamp(1, id);
      await patchName(1, id, 'set on node 1 after seeing node 2');
      const node1WroteByMs = Date.now();
      expect(node1WroteByMs).toBeLessThan(skewedStamp.wallMs); // by its wall clock alone, node 1's write would lose
      await eventually(
        async () => {
          for (const n of cluster.nodes)
            expect(await businessName(n.index, id)).toBe('set on node 1 after seeing node 2');
        },
        { what: "every node ending with node 1's value", timeoutMs: 20_000 },
      );
      const node1Stamp = await newestStamp(1, id);
      expect(node1Stamp.hlc > skewedStamp.hlc).toBe(true);
      expect(node1Stamp.hlc.slice(20)).toBe(node(1).nodeId);
      expect((await newestStamp(3, id)).hlc).toBe(node1Stamp.hlc);
      console.log(
        `clock ahead: node 2 measured at ${skew} ms; node 2's stamp ${skewedStamp.hlc}, node 1 wrote by ${node1WroteByMs} (${skewedStamp.wallMs - node1WroteByMs} ms before it) and got ${node1Stamp.hlc}`,
      );

      // Heal: node 2's clock back to normal, under the same writes.
      await restartWithClockOffset(2, 0);
      await allConnected();
      await sleep(300);
    } finally {
      await stream.stop();
    }
    await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    await expectNothingLost(stream.acknowledged);
    expect((await statusOf(2)).warnings.join('\n')).not.toMatch(/SYNC_CLOCK_OFFSET_MS/);
    console.log(
      `clock ahead: ${stream.acknowledged.length} writes acknowledged, ${stream.counters.failures.length} not acknowledged, 0 lost`,
    );
    expect(stream.acknowledged.length).toBeGreaterThan(0);
  });

  it(`refuses and reports a node whose clock is ${BEYOND_MS / 1000} s ahead, holds back its stamps after the clock is fixed until they are within the bound, then converges`, async () => {
    await restartWithClockOffset(3, BEYOND_MS);
    await eventually(
      async () => {
        for (const index of [1, 2]) {
          const status = await statusOf(index);
          expect(status.peersConnected).toBe(1);
          expect(status.refused).toEqual(
            expect.arrayContaining([expect.objectContaining({ name: node(3).name, reason: 'clock-skew' })]),
          );
        }
        expect((await statusOf(3)).peersConnected).toBe(0);
      },
      { what: 'nodes 1 and 2 refusing node 3 for clock skew', timeoutMs: 20_000 },
    );
    const report = await statusCommand(1);
    expect(report).toMatch(/^Peers Connected: 1$/m);
    expect(report).toMatch(
      new RegExp(`${node(3).name} at .*: clock skew too large .*SYNC_MAX_CLOCK_SKEW_MS is ${MAX_CLOCK_SKEW_MS}`),
    );

    // Meanwhile nodes 1 and 2 keep serving and converging; node 3's own writes stay on node 3.
    const onOthers = new WriteStream(session, () => [node(1).appUrl, node(2).appUrl], 'while node 3 is refused');
    const onSkewed = new WriteStream(session, () => [node(3).appUrl], 'on node 3 (clock beyond the bound)');
    await sleep(2_500);
    await Promise.all([onOthers.stop(), onSkewed.stop()]);
    await eventually(async () => expect(await dbs.hashesOf(2)).toEqual(await dbs.hashesOf(1)), {
      what: 'nodes 1 and 2 agreeing',
      timeoutMs: QUIESCE_TIMEOUT_MS,
      intervalMs: 250,
    });
    const missingWhileRefused = await dbs.missingOnEachNode([...onOthers.acknowledged, ...onSkewed.acknowledged]);
    expect(onOthers.acknowledged.length).toBeGreaterThan(0);
    expect(onSkewed.acknowledged.length).toBeGreaterThan(0);
    expect(missingWhileRefused[node(1).name]).toEqual(onSkewed.acknowledged);
    expect(missingWhileRefused[node(2).name]).toEqual(onSkewed.acknowledged);
    expect(missingWhileRefused[node(3).name]).toEqual(onOthers.acknowledged);

    // Heal: node 3's clock is fixed. What it wrote while ahead carries stamps up to 20 s in the future: nodes 1 and
    // 2 refuse those batches (reported per peer in status) until the stamps are no more than 6 s ahead.
    await restartWithClockOffset(3, 0);
    const afterHeal = new WriteStream(
      session,
      () => [node(3).appUrl, cluster.entryUrl],
      "after node 3's clock is fixed",
    );
    let refusal: string | null | undefined;
    try {
      await allConnected();
      // (first, for a moment, node 3's replication may still answer "waiting for the schema")
      const futureStamps = new RegExp(
        `batch refused: .* ms ahead of this node's clock \\(limit ${MAX_CLOCK_SKEW_MS} ms\\)`,
      );
      refusal = await eventually(
        async () => {
          const replication = (await peerOn(1, node(3).name))?.replication;
          expect(replication?.lastError).toMatch(futureStamps);
          expect(replication?.failing).toBe(true);
          return replication?.lastError;
        },
        { what: "node 1 refusing node 3's future stamps", timeoutMs: 15_000, intervalMs: 100 },
      );
      const newestWhileAhead = onSkewed.acknowledged.slice(-1);
      expect(await dbs.missingOnEachNode(newestWhileAhead)).toMatchObject({
        [node(1).name]: newestWhileAhead,
        [node(2).name]: newestWhileAhead,
      });
      await sleep(1_000);
    } finally {
      await afterHeal.stop();
    }
    await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    await expectNothingLost([...onOthers.acknowledged, ...onSkewed.acknowledged, ...afterHeal.acknowledged]);
    // node 3's writes may reach a node through the other one; either way both pull from node 3 without error again
    await eventually(
      async () => {
        for (const index of [1, 2])
          expect((await peerOn(index, node(3).name))?.replication).toMatchObject({ failing: false });
      },
      { what: 'nodes 1 and 2 pulling from node 3 without error', timeoutMs: 20_000 },
    );
    console.log(
      `clock beyond the bound: ${onOthers.acknowledged.length} writes on nodes 1-2 and ${onSkewed.acknowledged.length} on node 3 while refused, ` +
        `${afterHeal.acknowledged.length} after the heal; refused after the heal with "${refusal?.slice(0, 160)}…"; 0 lost`,
    );
  });
});
