/**
 * A rolling upgrade on a three-node local cluster (real embedded PostgreSQL, apps and sync services) from the
 * current app build to a next release whose only change is one more migration adding a column: a copy of the
 * standalone build with `002_business_region.sql` in its migrations folder (what `next build` of app/ plus that
 * file would ship: migrations are copied verbatim into the build). A write load runs through the entry point all
 * along. Node 1's app is replaced (its sync service keeps running and must follow the migration), node 2 is
 * stopped and started on the new build, node 3's app is replaced. Afterwards every acknowledged write and every
 * value of the new column is on every node, the tables' hashes are equal, and the never-restarted sync services
 * say that replication from the upgraded peers resumed. docs/upgrades.md's commands run against the cluster.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_STANDALONE_DIR, type StartedLocalCluster } from '@msk/kit/cluster';
import { introspectTables, postgresTableHashes } from '@msk/replication';
import { REFERENCE_APP_REPLICATED_TABLES } from '@msk/contract';
import { REPOSITORY_ROOT, docsCommands } from '../support/docsCommands';
import { ClusterDatabases } from '../support/clusterChecks';
import { SUITE_NODES, startSignedInCluster } from '../support/clusterFixture';
import { eventually } from '../support/eventually';
import { type Session, WriteStream, newCounters, writeBusiness } from '../support/retryingClient';

const ADDRESS_BLOCK = 87;
const CONVERGE_TIMEOUT_MS = 90_000;
const MIGRATION = '002_business_region.sql';
const MIGRATION_SQL = `-- release 2: where a business operates. Additive, with a constant default (docs/upgrades.md).
ALTER TABLE businesses ADD COLUMN IF NOT EXISTS region text NOT NULL DEFAULT 'unassigned';
`;

interface PeerStatus {
  id: string | null;
  name: string | null;
  replication?: { waitingForUpgrade: string | null; resumedAfterUpgradeAt: string | null; lastError: string | null };
}
interface NodeStatus {
  replication: {
    state: string;
    schemaVersion: string | null;
    schema: { reopenedAfterMigration: number; lastChange: { addedColumns: string[] } | null; problem: string | null };
  };
  peers: PeerStatus[];
}

describe('a rolling upgrade to a release that adds a column, under writes', () => {
  let cluster: StartedLocalCluster;
  let dbs: ClusterDatabases;
  let session: Session;
  let releaseDir: string;
  let nextAppDir: string;

  const node = (index: number) => cluster.nodes[index - 1]!;
  const status = async (index: number): Promise<NodeStatus> =>
    (await (await fetch(`${node(index).syncUrl}/status`)).json()) as NodeStatus;
  const peerOf = (s: NodeStatus, index: number) => s.peers.find((p) => p.id === node(index).nodeId);
  const syncPid = async (index: number) => (await cluster.state()).nodes[index - 1]!.pids.sync;
  /** Each node's hashes over ITS live columns (the new column included once it has it). */
  const hashesOf = (index: number) =>
    dbs.query(index, async (pool) =>
      postgresTableHashes(pool, await introspectTables(pool, REFERENCE_APP_REPLICATED_TABLES)),
    );
  const regionOf = (index: number, id: string) =>
    dbs.query(
      index,
      async (pool) =>
        (await pool.query<{ region: string }>('SELECT region FROM businesses WHERE id = $1', [id])).rows[0]?.region ??
        null,
    );
  const hasBusiness = (index: number, id: string) =>
    dbs.query(
      index,
      async (pool) => ((await pool.query('SELECT 1 FROM businesses WHERE id = $1', [id])).rowCount ?? 0) > 0,
    );
  /** Release 2's code writing the new column (its app would; this one has no form for it yet). */
  const setRegion = (index: number, id: string, region: string) =>
    dbs.query(index, (pool) => pool.query('UPDATE businesses SET region = $2 WHERE id = $1', [id, region]));
  const writeOn = async (index: number, name: string) => {
    const id = await writeBusiness(node(index).appUrl, session, name, newCounters());
    if (!id) throw new Error(`${node(index).name} did not acknowledge a write`);
    return id;
  };
  /** A docs/upgrades.md block's commands, run in bash at the repository root with the page's variables set for one node. */
  const runDocs = (commands: readonly string[], index: number) => {
    const script = ['set -e', ...commands].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: REPOSITORY_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        SYNC_ADDRESS: new URL(node(index).syncUrl).host,
        APP_ADDRESS: new URL(node(index).appUrl).host,
      },
    });
    if (run.status !== 0)
      throw new Error(
        `docs commands ${JSON.stringify(commands)} failed (exit ${run.status}): ${run.stderr}${run.stdout}`,
      );
    return run.stdout;
  };

  beforeAll(async () => {
    releaseDir = mkdtempSync(join(tmpdir(), 'msk-release-2-'));
    // the whole standalone tree (app/ and its node_modules/, relative links kept), one migration more
    cpSync(join(APP_STANDALONE_DIR, '..'), join(releaseDir, 'standalone'), { recursive: true, verbatimSymlinks: true });
    nextAppDir = join(releaseDir, 'standalone', 'app');
    writeFileSync(join(nextAppDir, 'migrations', MIGRATION), MIGRATION_SQL);
    // a generous bound: three apps starting at once on two shared cores
    ({ cluster, dbs, session } = await startSignedInCluster(
      { nodes: SUITE_NODES, addressBlock: ADDRESS_BLOCK, startupTimeoutMs: 400_000 },
      { firstAdminWithinMs: CONVERGE_TIMEOUT_MS },
    ));
  }, 600_000);
  afterAll(async () => {
    await cluster?.stop();
    if (releaseDir) rmSync(releaseDir, { recursive: true, force: true });
  });

  it('keeps serving, loses no write, and every node ends with every value of the new column', async () => {
    const before = await status(1);
    const oldVersion = before.replication.schemaVersion;
    expect(oldVersion).toMatch(/^sv1-/);
    const syncPidsAtStart = { 1: await syncPid(1), 3: await syncPid(3) };
    const stream = new WriteStream(session, () => [cluster.entryUrl], 'upgrade', 2, 40);
    try {
      await sleep(1_500);

      // ---- node 1: new app build, its sync service keeps running and must notice the migration
      await cluster.stopApp(1);
      await cluster.startNode(1, undefined, nextAppDir);
      const upgraded = await eventually(
        async () => {
          const s = await status(1);
          if (s.replication.state !== 'running' || s.replication.schema.reopenedAfterMigration < 1)
            throw new Error(JSON.stringify(s.replication));
          return s;
        },
        { what: 'node 1 following the migration without a restart', timeoutMs: 30_000 },
      );
      expect(upgraded.replication.schemaVersion).not.toBe(oldVersion);
      expect(upgraded.replication.schema.lastChange?.addedColumns).toEqual(['businesses.region']);
      expect(await syncPid(1)).toBe(syncPidsAtStart[1]);

      // old -> new flows (the new column takes its default); new -> old waits, and the old nodes say so
      const fromOld = await writeOn(2, 'written on old node 2');
      const onNew = await writeOn(1, 'written on upgraded node 1');
      await setRegion(1, onNew, 'north');
      await eventually(
        async () => {
          if ((await regionOf(1, fromOld)) !== 'unassigned') throw new Error('not there yet');
        },
        { what: "node 2's write on node 1", timeoutMs: CONVERGE_TIMEOUT_MS },
      );
      for (const old of [2, 3]) {
        await eventually(
          async () => {
            const waiting = peerOf(await status(old), 1)?.replication?.waitingForUpgrade;
            if (!waiting?.includes('businesses.region')) throw new Error(`waitingForUpgrade: ${waiting}`);
          },
          { what: `node ${old} saying node 1's changes wait for its upgrade`, timeoutMs: CONVERGE_TIMEOUT_MS },
        );
        expect(await hasBusiness(old, onNew)).toBe(false);
      }
      // every node still answers, the upgraded one included
      for (const index of [1, 2, 3]) expect((await fetch(`${node(index).appUrl}/api/health`)).status).toBe(200);
      const json = JSON.parse(runDocs(docsCommands('docs/upgrades.md', 'upgrade-status-json'), 2)) as NodeStatus;
      expect(peerOf(json, 1)?.replication?.waitingForUpgrade).toMatch(/Upgrade this node/);
      expect(JSON.parse(runDocs(docsCommands('docs/upgrades.md', 'upgrade-ready'), 1))).toMatchObject({
        status: 'ready',
      });

      // ---- node 2: stopped and started on the new build (the sync service reads the new columns at its start)
      await cluster.stopNode(2);
      await cluster.startNode(2, undefined, nextAppDir);
      await eventually(
        async () => {
          if ((await regionOf(2, onNew)) !== 'north') throw new Error(`region on node 2: ${await regionOf(2, onNew)}`);
        },
        { what: "node 1's write and region on node 2", timeoutMs: CONVERGE_TIMEOUT_MS },
      );
      const onSecond = await writeOn(2, 'written on upgraded node 2');
      await setRegion(2, onSecond, 'south');
      await setRegion(2, fromOld, 'east'); // a row from before the upgrade, its new column written on node 2
      expect(await hasBusiness(3, onNew)).toBe(false);

      // ---- node 3 (the last): new app build, its sync service has run since the cluster started
      await cluster.stopApp(3);
      await cluster.startNode(3, undefined, nextAppDir);
      await eventually(
        async () => {
          const s = await status(3);
          for (const peer of [1, 2]) {
            const r = peerOf(s, peer)?.replication;
            if (r?.waitingForUpgrade !== null || r?.resumedAfterUpgradeAt === null)
              throw new Error(`peer ${peer}: ${JSON.stringify(r)}`);
          }
        },
        { what: 'replication from the upgraded nodes resuming on node 3 by itself', timeoutMs: CONVERGE_TIMEOUT_MS },
      );
      await sleep(1_500);
    } finally {
      await stream.stop();
    }

    // ---- afterwards: one schema, equal tables, every acknowledged write and every region everywhere
    console.log(
      `rolling upgrade: ${stream.acknowledged.length} writes acknowledged through the entry point, ${stream.counters.retries} retries, ` +
        `${stream.counters.failures.length} failures ${JSON.stringify(stream.counters.failures.slice(0, 3))}`,
    );
    expect(stream.acknowledged.length).toBeGreaterThan(10);
    expect(stream.counters.failures).toEqual([]);
    const hashes = await eventually(
      async () => {
        const all = await Promise.all([1, 2, 3].map(hashesOf));
        if (!all.every((h) => JSON.stringify(h) === JSON.stringify(all[0])))
          throw new Error(all.map((h) => JSON.stringify(h)).join(' | '));
        return all[0]!;
      },
      { what: "every node's tables equal (the new column included)", timeoutMs: CONVERGE_TIMEOUT_MS },
    );
    expect(Object.keys(hashes).sort()).toEqual([...REFERENCE_APP_REPLICATED_TABLES].sort());
    expect(await dbs.missingOnEachNode(stream.acknowledged)).toEqual({
      [node(1).name]: [],
      [node(2).name]: [],
      [node(3).name]: [],
    });
    const regions = async (index: number) =>
      dbs.query(
        index,
        async (pool) =>
          (
            await pool.query<{ region: string; n: string }>(
              `SELECT region, count(*)::text AS n FROM businesses WHERE region <> 'unassigned' GROUP BY region ORDER BY region`,
            )
          ).rows,
      );
    for (const index of [1, 2, 3])
      expect(await regions(index)).toEqual([
        { region: 'east', n: '1' },
        { region: 'north', n: '1' },
        { region: 'south', n: '1' },
      ]);

    const statuses = await Promise.all([1, 2, 3].map(status));
    expect(new Set(statuses.map((s) => s.replication.schemaVersion)).size).toBe(1);
    for (const s of statuses) {
      expect(s.replication.state).toBe('running');
      expect(s.replication.schema.problem).toBeNull();
      for (const peer of s.peers) {
        expect(peer.replication?.waitingForUpgrade ?? null).toBeNull();
        // waiting is no error: no batch or push was refused for its schema on the way
        expect(peer.replication?.lastError ?? '').not.toMatch(/schema/);
      }
    }
    // nodes 1 and 3 never restarted their sync service: they followed the migration while running
    expect(await syncPid(1)).toBe(syncPidsAtStart[1]);
    expect(await syncPid(3)).toBe(syncPidsAtStart[3]);
    expect(statuses[2]!.replication.schema.reopenedAfterMigration).toBeGreaterThanOrEqual(1);
    expect(runDocs(docsCommands('docs/upgrades.md', 'upgrade-status'), 3)).toMatch(
      /followed \d+ migration\(s\) while running/,
    );
  }, 600_000);
});
