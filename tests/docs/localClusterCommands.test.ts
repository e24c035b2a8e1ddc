/**
 * `npm start` as the docs say it (README's quick start, docs/getting-started.md, docs/local-cluster.md), run in a
 * scratch copy of the repository: it says what it does from its first line, before the TypeScript build has
 * finished; it brings up two nodes; the status commands of docs/local-cluster.md work beside it; and Ctrl-C to its
 * process group (what a terminal sends) stops every process it started and releases its lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsCommands } from '../support/docsCommands';
import { type ScratchRepository, scratchRepository } from '../support/scratchRepository';
import { processAlive } from '@msk/kit/cluster';

/** Only moves the cluster to its own loopback block, so it never meets another cluster on this machine. */
const SCRATCH_OPTIONS = '-- --address-block 71';
const SUMMARY = /Multi-Server Kit: 2 node\(s\) up in/;

interface Chunk {
  readonly index: number;
  readonly text: string;
}

describe('npm start, as the docs say it', () => {
  let scratch: ScratchRepository;
  let child: ChildProcess | undefined;
  const chunks: Chunk[] = [];
  let exited: Promise<number | null>;
  const output = () => chunks.map((chunk) => chunk.text).join('');

  beforeAll(() => {
    scratch = scratchRepository('start');
  });
  afterAll(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, 'SIGKILL'); // only when a test failed before Ctrl-C: leave nothing running
      await exited;
    }
    scratch.remove();
  });

  it('is the same command in the README, getting started and the local cluster page', () => {
    expect(docsCommands('docs/local-cluster.md', 'start')).toEqual(['npm start']);
    expect(docsCommands('docs/getting-started.md', 'start')).toEqual(['npm start']);
    expect(docsCommands('README.md', 'quick-start')).toContain('npm start');
  });

  it('prints its first line before the TypeScript build is done, then every step, and brings up two nodes', async () => {
    const [start] = docsCommands('docs/local-cluster.md', 'start');
    child = spawn('bash', ['-c', `${start} ${SCRATCH_OPTIONS}`], {
      cwd: scratch.dir,
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
    });
    const started = child;
    started.stdout?.on('data', (data: Buffer) => chunks.push({ index: chunks.length, text: data.toString() }));
    started.stderr?.on('data', (data: Buffer) => chunks.push({ index: chunks.length, text: data.toString() }));
    exited = new Promise((resolve) => started.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (SUMMARY.test(output())) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`npm start exited with ${code} before the cluster was up:\n${output()}`));
      });
    });

    const chunkOf = (pattern: RegExp) => chunks.find((chunk) => pattern.test(chunk.text))?.index ?? -1;
    const firstLine = output()
      .split('\n')
      .find((line) => line.trim() !== '' && !line.startsWith('>'));
    expect(firstLine).toMatch(/^\[start\] Multi-Server Kit: starting a local cluster/);
    const first = chunkOf(/\[start\] Multi-Server Kit: starting/);
    const typescriptDone = chunkOf(/\[start\]\s+TypeScript (is up to date|built in)/);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(typescriptDone).toBeGreaterThan(first); // a separate, later write: the first line did not wait for tsc
    const steps = [
      /\[start\] step 1\/2: TypeScript build/,
      /\[start\] step 2\/2: local cluster/,
      /\[cluster\] configuration: /,
      /\[cluster\] node-1: (creating PostgreSQL's data folder|starting PostgreSQL)/,
      /\[cluster\] starting the app on every node/,
      /\[cluster\] starting the sync services/,
      /\[cluster\] entry point http:\/\/127\.0\.71\.1:8080/,
      SUMMARY,
    ].map((step) => ({ step: String(step), at: output().search(step) }));
    expect(steps.filter((step) => step.at < 0)).toEqual([]);
    expect(steps.map((step) => step.at)).toEqual(steps.map((step) => step.at).sort((a, b) => a - b));
    expect(output()).not.toMatch(/^\.+$/m); // progress is words, not dots
  });

  it("answers docs/local-cluster.md's status commands while it runs", () => {
    const [status, doctor] = docsCommands('docs/local-cluster.md', 'status');
    const statusResult = scratch.run(status);
    expect(statusResult.code).toBe(0);
    expect(statusResult.stdout).toMatch(/Peers Connected: 1/);
    const doctorResult = scratch.run(doctor);
    expect({ code: doctorResult.code, stderr: doctorResult.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('stops every process it started on Ctrl-C and releases its lock', async () => {
    const clusterFile = JSON.parse(readFileSync(join(scratch.dir, '.local-cluster', 'cluster.json'), 'utf8')) as {
      supervisorPid: number;
      state: { nodes: Array<{ pids: Record<string, number | undefined> }> };
    };
    const pids = [
      clusterFile.supervisorPid,
      ...clusterFile.state.nodes.flatMap((node) => Object.values(node.pids)),
    ].filter((pid): pid is number => typeof pid === 'number');
    expect(pids.length).toBeGreaterThanOrEqual(7); // supervisor + PostgreSQL, app and sync of each node
    process.kill(-(child?.pid as number), 'SIGINT');
    await exited;
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
    expect(existsSync(join(scratch.dir, '.local-cluster.lock'))).toBe(false);
  });
});
