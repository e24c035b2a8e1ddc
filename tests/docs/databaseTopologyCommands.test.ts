/**
 * docs/database-topology.md's commands, run as written in a scratch copy of the repository: `init` for a shared
 * database, `doctor` on its files, and `npm start -- --database shared` with `npm run service:status` beside it,
 * stopped with Ctrl-C to its process group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '@msk/kit/cluster';
import { docsCommands } from '../support/docsCommands';
import { type ForegroundJob, scratchRepositoryPerSuite } from '../support/scratchRepository';
import { expectTwoNodesSharingOneDatabase } from '../support/statusChecks';

/** Only moves the cluster to its own loopback block, so it never meets another cluster on this machine. */
const SCRATCH_OPTIONS = '--address-block 93';
const UP = /Multi-Server Kit: 2 node\(s\) up in/;

describe('the commands of docs/database-topology.md', () => {
  const scratch = scratchRepositoryPerSuite('topology');
  let job: ForegroundJob | undefined;

  it('init --database shared gives every node the one database and DATABASE_TOPOLOGY=shared', () => {
    const [init] = docsCommands('docs/database-topology.md', 'init-shared');
    const result = scratch.run(init as string);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(join(scratch.dir, 'deploy', 'shared.env'), 'utf8')).toMatch(/^DATABASE_TOPOLOGY=shared$/m);
    for (const index of [1, 2, 3]) {
      const node = readFileSync(join(scratch.dir, 'deploy', `node-${index}.env`), 'utf8');
      expect(node).toMatch(/^DATABASE_URL=postgresql:\/\/msk_app@db\.internal\.example:5432\/multi_business_db$/m);
      expect(node).toMatch(
        /^SYNC_DATABASE_URL=postgresql:\/\/msk_sync@db\.internal\.example:5432\/multi_business_db$/m,
      );
    }
  });

  it('doctor passes those files: the same DATABASE_URL is the shared shape', () => {
    const [doctor] = docsCommands('docs/database-topology.md', 'doctor-shared');
    const result = scratch.run(doctor as string);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).not.toMatch(/DATABASE_URL/);
  });

  it('npm start -- --database shared brings up two nodes on one PostgreSQL, and service:status says shared', async () => {
    const [start] = docsCommands('docs/database-topology.md', 'start-shared');
    job = scratch.start(`${start as string} ${SCRATCH_OPTIONS}`);
    await job.waitFor(UP, 'the cluster was up');
    const output = job.output();
    expect(output).toContain("database: shared, every node uses node-1's PostgreSQL (DATABASE_TOPOLOGY=shared)");
    expect(output).not.toMatch(/node-2: (creating PostgreSQL's data folder|starting PostgreSQL)/);

    const [status] = docsCommands('docs/database-topology.md', 'status-shared');
    let result = scratch.run(status as string);
    // The nodes tell each other their databases right after connecting: ask again until both say so.
    for (let attempt = 0; attempt < 50 && !/Database: shared with node-1/.test(result.stdout); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      result = scratch.run(status as string);
    }
    expect(result.code).toBe(0);
    expectTwoNodesSharingOneDatabase(result.stdout);
    expect(result.stdout).toContain('Replication: off (the nodes share one database)');
  });

  it('stops every process it started on Ctrl-C', async () => {
    const pids = scratch.localClusterPids();
    expect(new Set(pids).size).toBe(6); // supervisor + one PostgreSQL + app and sync of each node
    await (job as ForegroundJob).interrupt();
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
  });
});
