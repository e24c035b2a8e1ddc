// A scratch copy of the repository for running the docs' commands as a reader would, without touching the
// working tree's own deploy/, .local-cluster/ or .msk/: a fresh folder whose entries are symbolic links to the
// repository's (sources, node_modules, builds), minus the folders those commands write.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from './docsCommands';

/** What the docs' commands create in the folder they run in; never linked, so a scratch copy starts without them. */
const WRITTEN_BY_COMMANDS = new Set([
  '.git',
  'deploy',
  '.local-cluster',
  '.local-cluster.lock',
  '.msk',
  'test-artifacts',
]);

export interface ScratchRepository {
  readonly dir: string;
  /** Runs one command line with bash in the scratch folder (the test's environment, minus a cluster's variables). */
  run(command: string, options?: { timeoutMs?: number }): { code: number | null; stdout: string; stderr: string };
  /** Starts one command line with bash in the scratch folder as a terminal's foreground job (its own process group). */
  start(command: string): ForegroundJob;
  /** The PIDs a local cluster started in the scratch folder wrote down: its supervisor's and every node process's. */
  localClusterPids(): number[];
  remove(): void;
}

export interface ForegroundJob {
  readonly exited: Promise<number | null>;
  /** Everything it wrote so far, both streams as they came. */
  output(): string;
  /** Its writes so far, one entry per chunk read from either stream, in order. */
  chunks(): readonly string[];
  /** Resolves once `pattern` is in its output; rejects, with the output, when it exits first or timeoutMs passes. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<void>;
  /** Ctrl-C to its process group (what a terminal sends); resolves when it has exited. */
  interrupt(): Promise<number | null>;
  /** SIGKILL to its process group if it still runs (after a test failed before Ctrl-C): leave nothing running. */
  killIfRunning(): Promise<void>;
}

const TEST_ENVIRONMENT = { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' };

export function scratchRepository(label: string): ScratchRepository {
  const dir = mkdtempSync(join(tmpdir(), `msk-docs-${label}-`));
  // Run as root, the local cluster's PostgreSQL runs as the postgres user, which must be able to enter the folder.
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(REPOSITORY_ROOT)) {
    if (!WRITTEN_BY_COMMANDS.has(entry)) symlinkSync(join(REPOSITORY_ROOT, entry), join(dir, entry));
  }
  return {
    dir,
    run(command, options = {}) {
      const result = spawnSync('bash', ['-c', command], {
        cwd: dir,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        env: TEST_ENVIRONMENT,
      });
      return { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
    start: (command) => startForegroundJob(command, dir),
    localClusterPids() {
      const clusterFile = JSON.parse(readFileSync(join(dir, '.local-cluster', 'cluster.json'), 'utf8')) as {
        supervisorPid: number;
        state: { nodes: Array<{ pids: Record<string, number | undefined> }> };
      };
      return [clusterFile.supervisorPid, ...clusterFile.state.nodes.flatMap((node) => Object.values(node.pids))].filter(
        (pid): pid is number => typeof pid === 'number',
      );
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A scratch repository for one describe block: made in its beforeAll; in its afterAll every job started in it that
 * still runs (a test failed before Ctrl-C) is killed, so nothing is left running, and the folder removed.
 */
export function scratchRepositoryPerSuite(label: string): ScratchRepository {
  let scratch: ScratchRepository | undefined;
  const jobs: ForegroundJob[] = [];
  beforeAll(() => {
    scratch = scratchRepository(label);
  });
  afterAll(async () => {
    for (const job of jobs) await job.killIfRunning();
    scratch?.remove();
  });
  const current = (): ScratchRepository => {
    if (!scratch) throw new Error(`the scratch repository "${label}" is made in beforeAll: use it in a test`);
    return scratch;
  };
  return {
    get dir() {
      return current().dir;
    },
    run: (command, options) => current().run(command, options),
    start(command) {
      const job = current().start(command);
      jobs.push(job);
      return job;
    },
    localClusterPids: () => current().localClusterPids(),
    remove: () => current().remove(),
  };
}

function startForegroundJob(command: string, cwd: string): ForegroundJob {
  const child = spawn('bash', ['-c', command], {
    cwd,
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
    env: TEST_ENVIRONMENT,
  });
  const written: string[] = [];
  child.stdout.on('data', (data: Buffer) => written.push(data.toString()));
  child.stderr.on('data', (data: Buffer) => written.push(data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = () => written.join('');
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    exited,
    output,
    chunks: () => written,
    waitFor: (pattern, what, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const startedMs = Date.now();
        const timer = setInterval(() => {
          if (pattern.test(output())) {
            clearInterval(timer);
            resolve();
          } else if (timeoutMs !== undefined && Date.now() - startedMs > timeoutMs) {
            clearInterval(timer);
            reject(new Error(`${command}: not ${what} within ${timeoutMs} ms:\n${output()}`));
          }
        }, 100);
        void exited.then((code) => {
          clearInterval(timer);
          reject(new Error(`${command} exited with ${code} before ${what}:\n${output()}`));
        });
      }),
    async interrupt() {
      process.kill(-(child.pid as number), 'SIGINT');
      return exited;
    },
    async killIfRunning() {
      if (child.pid && running()) {
        process.kill(-child.pid, 'SIGKILL');
        await exited;
      }
    },
  };
}
