/**
 * docs/database-topology.md's commands, run as written in a scratch copy of the repository: `init` for a shared
 * database, `doctor` on its files, and `npm start -- --database shared` with `npm run service:status` beside it,
 * stopped with Ctrl-C to its process group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '@msk/kit/cluster';
import { docsCommands } from '../support/docsCommands';
import { type ScratchRepository, scratchRepository } from '../support/scratchRepository';

/** Only moves the cluster to its own loopback block, so it never meets another cluster on this machine. */
const SCRATCH_OPTIONS = '--address-block 93';
const UP = /Multi-Server Kit: 2 node\(s\) up in/;

describe('the commands of docs/database-topology.md', () => {
  let scratch: ScratchRepository;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let output = '';

  beforeAll(() => {
    scratch = scratchRepository('topology');
  });
  afterAll(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL'); // only when a test failed before Ctrl-C: leave nothing running
      await exited;
    }
    scratch.remove();
  });

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
    child = spawn('bash', ['-c', `${start as string} ${SCRATCH_OPTIONS}`], {
      cwd: scratch.dir,
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
    });
    const started = child;
    started.stdout?.on('data', (data: Buffer) => (output += data.toString()));
    started.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    exited = new Promise((resolve) => started.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (UP.test(output)) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`npm start exited with ${code} before the cluster was up:\n${output}`));
      });
    });
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
    expect(result.stdout.match(/^Peers Connected: 1$/gm)).toHaveLength(2);
    expect(result.stdout).toContain(
      'Database: shared with node-2 (DATABASE_TOPOLOGY=shared, capture and replication off',
    );
    expect(result.stdout).toContain(
      'Database: shared with node-1 (DATABASE_TOPOLOGY=shared, capture and replication off',
    );
    expect(result.stdout).toContain('Replication: off (the nodes share one database)');
  });

  it('stops every process it started on Ctrl-C', async () => {
    const clusterFile = JSON.parse(readFileSync(join(scratch.dir, '.local-cluster', 'cluster.json'), 'utf8')) as {
      supervisorPid: number;
      state: { nodes: Array<{ pids: Record<string, number | undefined> }> };
    };
    const pids = [
      clusterFile.supervisorPid,
      ...clusterFile.state.nodes.flatMap((node) => Object.values(node.pids)),
    ].filter((pid): pid is number => typeof pid === 'number');
    expect(new Set(pids).size).toBe(6); // supervisor + one PostgreSQL + app and sync of each node
    process.kill(-(child?.pid as number), 'SIGINT');
    await exited;
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
  });
});
