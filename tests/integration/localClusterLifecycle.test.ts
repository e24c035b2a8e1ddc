/**
 * `npm start` as a person runs it: one supervisor per data folder, Ctrl-C/SIGTERM leaves no process behind,
 * a node that can't start is reported with its own log lines, and the data survives a restart.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readEnvFile } from '@msk/kit/cluster';
import { signIn } from '../support/sessionClient';

const CLI = join(__dirname, '..', '..', 'kit', 'dist', 'cli', 'main.js');
const READY = 'MSK_CLUSTER_READY';

interface Supervisor {
  readonly child: ChildProcess;
  output(): string;
  ready(): Promise<{
    state: { entryUrl: string; configDir: string; nodes: Array<{ pids: Record<string, number | undefined> }> };
  }>;
  exited(): Promise<number | null>;
}

function up(dataDir: string, block: number, extra: string[] = []): Supervisor {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'up',
      '--nodes',
      '2',
      '--data-dir',
      dataDir,
      '--address-block',
      String(block),
      '--no-build',
      '--machine-readable',
      ...extra,
    ],
    // its own process group, as in a terminal: a Ctrl-C there signals the whole group
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' }, detached: true },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited: () => exited,
    ready: () =>
      new Promise((resolve, reject) => {
        const timer = setInterval(() => {
          const line = output.split('\n').find((l) => l.startsWith(READY));
          if (line) {
            clearInterval(timer);
            resolve(JSON.parse(line.slice(READY.length + 1)));
          }
        }, 50);
        void exited.then((code) => {
          clearInterval(timer);
          reject(new Error(`supervisor exited with ${code}:\n${output}`));
        });
      }),
  };
}

function adminOf(configDir: string): { email: string; password: string } {
  const values = readEnvFile(join(configDir, 'admin.env'));
  return { email: values.ADMIN_EMAIL as string, password: values.ADMIN_PASSWORD as string };
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (msk up)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'msk-lifecycle-'));
    chmodSync(dir, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second start on the same folder, stops every process on SIGTERM, and keeps data and secrets for the next start', async () => {
    const dataDir = join(dir, 'cluster');
    const first = up(dataDir, 21);
    const { state } = await first.ready();
    const admin = adminOf(state.configDir);
    expect(first.output()).toMatch(/Admin \(shown once/);
    const pids = state.nodes.flatMap((n) => Object.values(n.pids)).filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(6); // postgres, app and sync of two nodes
    for (const pid of pids) expect(alive(pid)).toBe(true);

    // Something a user created before the restart.
    const session = await signIn(state.entryUrl, admin.email, admin.password);
    const created = await fetch(`${state.entryUrl}/api/businesses`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Survives restarts', type: 'retail' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const servedBy = new URL(created.url).host;
    expect(servedBy).toBeTruthy();

    const second = spawnSync(
      process.execPath,
      [CLI, 'up', '--data-dir', dataDir, '--address-block', '21', '--no-build'],
      { encoding: 'utf8' },
    );
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(
      /a local cluster is already running from .* \(supervisor pid \d+\) at http:\/\/127\.0\.21\.1:8080/,
    );

    first.child.kill('SIGTERM');
    expect(await first.exited()).toBe(0);
    expect(first.output()).toMatch(/SIGTERM: stopping every node \(PostgreSQL included\)/);
    for (const pid of pids) expect(alive(pid)).toBe(false);

    const sharedBefore = readFileSync(join(dataDir, 'config', 'shared.env'), 'utf8');
    const again = up(dataDir, 21);
    const restarted = await again.ready();
    try {
      expect(readFileSync(join(dataDir, 'config', 'shared.env'), 'utf8')).toBe(sharedBefore);
      expect(again.output()).not.toMatch(/Admin \(shown once/);
      expect(again.output()).toMatch(/keeping the secrets/);
      // The old session cookie still works (same secret) and the business is still in the database it was written to.
      const session2 = await signIn(restarted.state.entryUrl, admin.email, admin.password);
      let found = false;
      for (let i = 0; i < 4 && !found; i++) {
        const response = await fetch(`${restarted.state.entryUrl}/api/businesses/${id}`, {
          headers: { cookie: session2.cookie },
        });
        found = response.status === 200;
      }
      expect(found).toBe(true);
    } finally {
      // Ctrl-C in a terminal under `npm start`: the whole process group gets SIGINT (the nodes' processes too),
      // and npm forwards it once more: still one clean stop, without warnings about processes exiting
      process.kill(-again.child.pid!, 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 10));
      process.kill(-again.child.pid!, 'SIGINT');
      await again.exited();
    }
    expect(again.output()).toMatch(/\[cluster\] stopped\./);
    expect(again.output()).not.toMatch(/again: killing|WARNING/);
  });

  it('stops every process on SIGTERM even when whoever read its output is gone (its writes fail with EPIPE)', async () => {
    const supervisor = up(join(dir, 'unread'), 32);
    const { state } = await supervisor.ready();
    const pids = state.nodes.flatMap((n) => Object.values(n.pids)).filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(6);
    supervisor.child.stdout?.destroy();
    supervisor.child.stderr?.destroy();
    supervisor.child.kill('SIGTERM');
    expect(await supervisor.exited()).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('a cluster started by a program (the test harness) stops itself when that program exits without stopping it', async () => {
    const script = `
      const { startLocalCluster } = require(${JSON.stringify(join(__dirname, '..', '..', 'kit', 'dist', 'cluster'))});
      startLocalCluster({ nodes: 2, addressBlock: 33 }).then(async (cluster) => {
        const state = await cluster.state();
        const pids = state.nodes.flatMap((n) => Object.values(n.pids));
        process.stdout.write(JSON.stringify({ pids, dataDir: cluster.dataDir }) + '\\n', () => process.exit(0));
      });`;
    const program = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 240_000 });
    expect(program.status).toBe(0);
    const left = JSON.parse(program.stdout.trim().split('\n').pop() as string) as { pids: number[]; dataDir: string };
    const pids = left.pids.filter(Number.isInteger);
    expect(pids).toHaveLength(6);
    const deadline = Date.now() + 60_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(pids.filter(alive)).toEqual([]);
    rmSync(dirname(left.dataDir), { recursive: true, force: true });
  });

  it('reports a node that fails to start with the last lines of its own log, and leaves nothing running', async () => {
    const dataDir = join(dir, 'broken');
    const overrides = join(dir, 'overrides.json');
    writeFileSync(overrides, JSON.stringify({ 2: { SYNC_INTERVAL: '10' } }));
    const supervisor = up(dataDir, 22, ['--overrides-file', overrides]);
    expect(await supervisor.exited()).toBe(1);
    const output = supervisor.output();
    expect(output).toMatch(/failed to start: node-2 app exited with code 1; last lines of .*node-2\/logs\/app\.log/);
    expect(output).toMatch(/SYNC_INTERVAL must be at least 1000 milliseconds, got 10/);
    const leftovers = spawnSync('pgrep', ['-f', dataDir], { encoding: 'utf8' }).stdout.trim();
    expect(leftovers).toBe('');
  });
});
