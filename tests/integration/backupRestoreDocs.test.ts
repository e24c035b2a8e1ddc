/**
 * docs/backup-and-restore.md, the local-cluster part, run as written on a real 2-node cluster: the client programs'
 * install, a backup of node 2 while it serves, a check, a restore; the nodes converge afterwards. The page's
 * default data folder `.local-cluster` is a link to the test cluster's folder in the working directory.
 */
import { mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { REPOSITORY_ROOT, docsCommands } from '../support/docsCommands';
import { runDocsBlock } from '../support/docsShell';
import { ClusterDatabases, syncRunningEverywhere } from '../support/clusterChecks';
import { newCounters, signInRetrying, writeBusiness } from '../support/retryingClient';

const ADDRESS_BLOCK = 78;

describe('docs/backup-and-restore.md on a real local cluster', () => {
  let cluster: StartedLocalCluster;
  let work: string;

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK });
    work = mkdtempSync(join(tmpdir(), 'msk-backup-docs-'));
    symlinkSync(cluster.dataDir, join(work, '.local-cluster'));
    await syncRunningEverywhere(cluster, 60_000);
  });

  afterAll(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs the client programs, backs up node 2, checks the file and restores it; the nodes converge', async () => {
    const install = await runDocsBlock(
      [...docsCommands('docs/backup-and-restore.md', 'pg-client'), 'printf %s "$MSK_PG_BIN"'],
      REPOSITORY_ROOT,
      { MSK_PG_BIN: '' },
    );
    expect(install.code).toBe(0);
    expect(statSync(join(install.stdout, 'pg_dump')).isFile()).toBe(true);
    const session = await signInRetrying(cluster.entryUrl, cluster.admin.email, cluster.admin.password, newCounters());
    const before = await writeBusiness(cluster.nodes[1]!.appUrl, session, 'before the backup', newCounters());
    expect(before).toBeDefined();

    const backup = await runDocsBlock(docsCommands('docs/backup-and-restore.md', 'backup-local'), work);
    expect({ code: backup.code, stderr: backup.stderr }).toEqual({ code: 0, stderr: '' });
    expect(backup.stdout).toContain('written to backups/node-2.mskbackup');
    expect(statSync(join(work, 'backups', 'node-2.mskbackup')).mode & 0o777).toBe(0o600);

    const after = await writeBusiness(cluster.nodes[1]!.appUrl, session, 'after the backup', newCounters());
    const check = await runDocsBlock(docsCommands('docs/backup-and-restore.md', 'restore-check-local'), work);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('checks passed');

    const restore = await runDocsBlock(docsCommands('docs/backup-and-restore.md', 'restore-local'), work);
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });
    expect(restore.stdout).toContain('starting node 2 again');
    await syncRunningEverywhere(cluster, 60_000);
    const dbs = new ClusterDatabases(cluster);
    await dbs.quiesce(120_000);
    expect(await dbs.missingOnEachNode([before!, after!])).toEqual({ 'node-1': [], 'node-2': [] });
  });
});
