/**
 * msk backup / msk restore on a real 3-node local cluster (embedded PostgreSQL, real app and sync processes): a node
 * backed up, written on afterwards, lost (stopped and wiped) and restored while the others run on, converges with
 * them — every acknowledged write on every node, no deleted row back; the same when an older backup is restored
 * over a live node; and a bad backup is refused with nothing changed.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StartedLocalCluster } from '@msk/kit/cluster';
import { PURGE_RETENTION_MS } from '../../sync/src/replicationPlugin/replicationPlugin';
import { TOMBSTONE_RETENTION_MS } from '../../kit/src/backup/backupFile';
import { ClusterDatabases, syncRunningEverywhere } from '../support/clusterChecks';
import { SUITE_NODES, startSignedInCluster } from '../support/clusterFixture';
import { eventually } from '../support/eventually';
import { type Session, WriteStream, newCounters, retryingFetch, writeBusiness } from '../support/retryingClient';
import { postgresClientBin, runKit } from '../support/kitCli';

const ADDRESS_BLOCK = 77;
const QUIESCE_TIMEOUT_MS = 120_000;

describe('backup and restore of one node, safe with replication', () => {
  let cluster: StartedLocalCluster;
  let dbs: ClusterDatabases;
  let session: Session;
  let work: string;
  const acknowledged: string[] = [];
  const deleted: string[] = [];
  let backupFile: string;

  const nodeUrl = (index: number) => cluster.nodes[index - 1]!.appUrl;
  const write = async (index: number, count: number, label: string) => {
    const counters = newCounters();
    for (let i = 0; i < count; i++) {
      const id = await writeBusiness(nodeUrl(index), session, `${label} ${i}`, counters);
      if (!id) throw new Error(`write on node ${index} not acknowledged: ${JSON.stringify(counters.failures)}`);
      acknowledged.push(id);
    }
  };
  const remove = async (index: number, ids: readonly string[]) => {
    for (const id of ids) {
      const answer = await retryingFetch(
        `${nodeUrl(index)}/api/businesses/${id}`,
        { method: 'DELETE', headers: { cookie: session.cookie, origin: nodeUrl(index) } },
        newCounters(),
      );
      expect(answer.status).toBe(204);
      deleted.push(id);
      acknowledged.splice(acknowledged.indexOf(id), 1);
    }
  };
  const kitArgs = (command: string, ...rest: string[]) => [
    command,
    ...rest,
    '--node',
    '2',
    '--data-dir',
    cluster.dataDir,
  ];

  /** Every node equal, every acknowledged write everywhere, no deleted row anywhere. */
  const expectConverged = async () => {
    const hashes = await dbs.quiesce(QUIESCE_TIMEOUT_MS);
    expect(await dbs.missingOnEachNode(acknowledged)).toEqual(
      Object.fromEntries(cluster.nodes.map((n) => [n.name, []])),
    );
    for (const node of cluster.nodes) {
      const back = await dbs.query(node.index, async (pool) =>
        (
          await pool.query<{ id: string }>('SELECT id::text AS id FROM businesses WHERE id = ANY($1::uuid[])', [
            deleted,
          ])
        ).rows.map((r) => r.id),
      );
      expect({ node: node.name, deletedRowsBack: back }).toEqual({ node: node.name, deletedRowsBack: [] });
    }
    return hashes;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'msk-backup-test-'));
    ({ cluster, dbs, session } = await startSignedInCluster({ nodes: SUITE_NODES, addressBlock: ADDRESS_BLOCK }));
  });

  afterAll(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("keeps backups within the sync service's tombstone retention (the two constants agree)", () => {
    expect(TOMBSTONE_RETENTION_MS).toBe(PURGE_RETENTION_MS);
  });

  it('backs up a running node into a file only its owner can read, with a manifest that names the node and holds no secret', async () => {
    await write(1, 4, 'before backup n1');
    await write(2, 4, 'before backup n2');
    await write(3, 4, 'before backup n3');
    await expectConverged();
    backupFile = join(work, 'node-2.mskbackup');
    const run = await runKit(kitArgs('backup', '--out', backupFile));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`written to ${backupFile}`);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(backupFile);
    const manifestLine = bytes.subarray(0, bytes.indexOf(0x0a, 14)).toString('utf8').split('\n')[1]!;
    const manifest = JSON.parse(manifestLine) as { nodeId: string; capture: { rows: number }; schemaVersion: string };
    expect(manifest.nodeId).toBe(cluster.nodes[1]!.nodeId);
    expect(manifest.capture.rows).toBeGreaterThanOrEqual(13); // 12 businesses + the admin user
    const secrets = readFileSync(join(cluster.dataDir, 'config', 'shared.env'), 'utf8').matchAll(/^(\w+)=(.{16,})$/gm);
    for (const [, name, value] of secrets)
      expect({ name, inBackup: bytes.includes(value!.replace(/^"|"$/g, '')) }).toEqual({ name, inBackup: false });
  });

  it('refuses a bad backup with a clear reason and changes nothing on the node', async () => {
    const before = await dbs.hashesOf(2);
    const good = readFileSync(backupFile);
    const damaged = Buffer.from(good);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 10) ^ 0xff, damaged.length - 10);
    writeFileSync(join(work, 'damaged.mskbackup'), damaged);
    writeFileSync(join(work, 'truncated.mskbackup'), good.subarray(0, good.length - 100));
    writeFileSync(join(work, 'not-a-backup.dump'), 'PGDMP\u0001\u0002 not ours');
    const forged = good.toString('latin1').replace(/"rows":(\d+)/, (_m, n: string) => `"rows":${Number(n) + 1}`);
    writeFileSync(join(work, 'forged.mskbackup'), Buffer.from(forged, 'latin1'));
    const expectations: Array<[string, RegExp]> = [
      ['damaged.mskbackup', /SHA-256 differs from the manifest's/],
      ['truncated.mskbackup', /truncated or appended/],
      ['not-a-backup.dump', /is not a Multi-Server Kit backup/],
      ['forged.mskbackup', /signature does not match/],
    ];
    for (const [name, reason] of expectations) {
      const run = await runKit(kitArgs('restore', join(work, name)));
      expect({ name, code: run.code }).toEqual({ name, code: 1 });
      expect(run.stderr).toMatch(reason);
      expect(run.stdout).not.toContain('dropping database');
    }
    // node 1's backup is not node 2's
    const node1Backup = join(work, 'node-1.mskbackup');
    expect((await runKit(['backup', '--node', '1', '--data-dir', cluster.dataDir, '--out', node1Backup])).code).toBe(0);
    const wrongNode = await runKit(kitArgs('restore', node1Backup));
    expect(wrongNode.code).toBe(1);
    expect(wrongNode.stderr).toMatch(
      new RegExp(
        `backup is of node ${cluster.nodes[0]!.nodeId} \\(node-1\\), this node is ${cluster.nodes[1]!.nodeId}`,
      ),
    );
    const checked = await runKit(kitArgs('restore', backupFile, '--check-only'));
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('checks passed');
    expect(await dbs.hashesOf(2)).toEqual(before);
    expect((await cluster.peersConnected())['2']).toBe(2);
  });

  it('restores a lost node while the others run on: it converges, every acknowledged write is everywhere, no deleted row is back', async () => {
    // after the backup: writes on node 2 (only its peers will have them once it is lost) and on node 1, and deletes
    // on node 1 of rows the backup holds
    await write(2, 6, 'after backup n2');
    await write(1, 6, 'after backup n1');
    const inBackup = acknowledged.slice(0, 12);
    await remove(1, [inBackup[0]!, inBackup[5]!, inBackup[10]!]);
    await expectConverged();

    await cluster.stopNode(2);
    rmSync(join(cluster.dataDir, 'node-2', 'postgres'), { recursive: true, force: true });
    const stream = new WriteStream(session, () => [nodeUrl(1), nodeUrl(3)], 'while node 2 is lost');
    let restore;
    try {
      await write(3, 3, 'node 2 lost n3');
      restore = await runKit(kitArgs('restore', backupFile));
    } finally {
      await stream.stop();
    }
    acknowledged.push(...stream.acknowledged);
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });
    expect(restore.stdout).toMatch(
      /checks passed[\s\S]*dropping database[\s\S]*new incarnation [0-9a-f]{32}[\s\S]*starting node 2 again/,
    );
    await syncRunningEverywhere(cluster, 60_000);
    await write(2, 4, 'after restore n2');
    await write(1, 2, 'after restore n1');
    const hashes = await expectConverged();
    expect(stream.acknowledged.length).toBeGreaterThan(0);
    expect(Number(hashes.businesses!.split(':')[0])).toBe(acknowledged.length);
  });

  it('restores an older backup over a running node while the others ran on, and converges the same way', async () => {
    await write(2, 3, 'older backup n2');
    await write(3, 3, 'older backup n3');
    await remove(3, [acknowledged[1]!, acknowledged[acknowledged.length - 1]!, acknowledged[20]!]);
    await expectConverged();
    const stream = new WriteStream(session, () => [nodeUrl(1), nodeUrl(3)], 'during older restore');
    let restore;
    try {
      restore = await runKit(kitArgs('restore', backupFile));
    } finally {
      await stream.stop();
    }
    acknowledged.push(...stream.acknowledged);
    expect(restore.code).toBe(0);
    await syncRunningEverywhere(cluster, 60_000);
    await write(2, 2, 'after older restore n2');
    await expectConverged();
    // node 1 saw node 2's new incarnation and loaded node 2's log again; node 2 loaded a snapshot from a peer
    const loadsOf = async (index: number, peerIndex?: number) => {
      const status = (await (await fetch(`${cluster.nodes[index - 1]!.syncUrl}/status`)).json()) as {
        peers: Array<{ id?: string; replication?: { initialLoads?: number } }>;
      };
      return status.peers
        .filter((peer) => peerIndex === undefined || peer.id === cluster.nodes[peerIndex - 1]!.nodeId)
        .reduce((sum, peer) => sum + (peer.replication?.initialLoads ?? 0), 0);
    };
    expect(await loadsOf(1, 2)).toBeGreaterThanOrEqual(1);
    expect(await loadsOf(2)).toBeGreaterThanOrEqual(1);
  });

  it("backs up and restores through --exec with the node's app and sync service left running (as on Kubernetes): the sync service stops on the new incarnation and the cluster converges once it is started again", async () => {
    // The programs run through a command prefix, as `kubectl exec -i <pod> -c postgres --` would run them in the pod.
    const password = readFileSync(join(cluster.dataDir, 'config', 'postgres-superuser.env'), 'utf8').match(
      /^POSTGRES_PASSWORD=(.+)$/m,
    )![1]!;
    const postgres = new URL(cluster.nodes[1]!.postgresUrl);
    const exec = `env PGHOST=${postgres.hostname} PGPORT=${postgres.port || 5432} PGPASSWORD=${password} PATH=${postgresClientBin()}:/usr/bin:/bin`;
    const execArgs = ['--exec', exec, '--env-file', join(cluster.dataDir, 'node-2', 'node.env')];
    const execFile = join(work, 'node-2-exec.mskbackup');
    const backup = await runKit(['backup', ...execArgs, '--out', execFile]);
    expect({ code: backup.code, stderr: backup.stderr }).toEqual({ code: 0, stderr: '' });
    await write(2, 3, 'after exec backup n2');
    await remove(1, [acknowledged[2]!, acknowledged[acknowledged.length - 2]!]);
    await expectConverged();
    const syncUp = async () =>
      fetch(`${cluster.nodes[1]!.syncUrl}/status`).then(
        () => true,
        () => false,
      );
    expect(await syncUp()).toBe(true);
    const restore = await runKit(['restore', execFile, ...execArgs]);
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });
    expect(restore.stdout).toContain("start the node's app and sync service again");
    await eventually(
      async () => {
        if (await syncUp()) throw new Error('still answering');
      },
      { what: "node 2's sync service stopping on the new incarnation", timeoutMs: 30_000 },
    );
    await cluster.startNode(2);
    await syncRunningEverywhere(cluster, 60_000);
    await write(2, 2, 'after exec restore n2');
    await expectConverged();
  });
});
