/**
 * The local cluster for tests: starts `msk up` in a child process (so the ESM-only embedded PostgreSQL never
 * loads inside Jest) and drives it through its control API. Lifecycle as a type: startLocalCluster() returns a
 * StartedLocalCluster whose stop() stops every process it started.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EnvironmentOverrides, readEnvFile } from './clusterNodeEnvironment';
import type { DatabaseTopology } from '@msk/contract';
import type { ClusterState } from './localCluster';
import type { ClusterFile } from './supervisor';

// kit/src/cluster (Jest) and kit/dist/cluster (compiled) both reach the compiled CLI this way.
const CLI = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const READY_MARKER = 'MSK_CLUSTER_READY';

export interface LocalClusterOptions {
  /** @default 2 */
  readonly nodes?: number;
  /** 127.0.<block>.x: each test file uses its own block so files can run side by side. */
  readonly addressBlock: number;
  /** @default 8080 */
  readonly entryPort?: number;
  readonly overrides?: Readonly<Record<number, EnvironmentOverrides>>;
  /** `--database shared`: one PostgreSQL for every node. @default per-node */
  readonly database?: DatabaseTopology;
  /** @default 180000 (includes building the app when it is stale) */
  readonly startupTimeoutMs?: number;
  /** `--app <dir>`: run this Next.js app instead of app/ (see clusterApp.ts). @default the reference app */
  readonly app?: string;
  /** `--app-probe-path`, `--replicated-tables`: override what the app's package.json says. */
  readonly appProbePath?: string;
  readonly replicatedTables?: readonly string[];
  /**
   * Build the app when its build is stale. Off by default: `npm test` builds app/ once before Jest starts, and tests
   * never rebuild it under each other's feet; a test of another app (--app) that only it runs may turn it on.
   * @default false
   */
  readonly buildIfNeeded?: boolean;
}

export interface StartedLocalCluster {
  readonly entryUrl: string;
  readonly dataDir: string;
  readonly admin: { email: string; password: string };
  readonly nodes: ClusterState['nodes'];
  /** Everything the supervisor printed so far. */
  output(): string;
  state(): Promise<ClusterState>;
  peersConnected(): Promise<Record<string, number | null>>;
  stopNode(index: number): Promise<void>;
  /** `appDir`: run this standalone app build on the node from now on (an upgrade to another release). */
  startNode(index: number, overrides?: EnvironmentOverrides, appDir?: string): Promise<void>;
  /** Stops only the node's app (PostgreSQL and sync keep running). */
  stopApp(index: number): Promise<void>;
  killProcess(index: number, which: 'app' | 'sync' | 'postgres'): Promise<void>;
  /** Stops the node's PostgreSQL cleanly (fast shutdown), apps and sync services keep running; startNode starts it again. */
  stopPostgres(index: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<StartedLocalCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'msk-cluster-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as the postgres user when we are root: it must traverse this folder
  const args = [
    CLI,
    'up',
    '--nodes',
    String(options.nodes ?? 2),
    '--data-dir',
    join(dataDir, 'cluster'),
    '--address-block',
    String(options.addressBlock),
    '--port',
    String(options.entryPort ?? 8080),
    '--machine-readable',
    ...(options.buildIfNeeded ? [] : ['--no-build']),
    ...(options.database ? ['--database', options.database] : []),
    ...(options.app ? ['--app', options.app] : []),
    ...(options.appProbePath ? ['--app-probe-path', options.appProbePath] : []),
    ...(options.replicatedTables ? ['--replicated-tables', options.replicatedTables.join(',')] : []),
  ];
  if (options.overrides) {
    const file = join(dataDir, 'overrides.json');
    writeFileSync(file, JSON.stringify(options.overrides));
    args.push('--overrides-file', file);
  }
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<ClusterFile>((resolve, reject) => {
    const timeoutMs = options.startupTimeoutMs ?? 180_000;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the local cluster was not ready within ${timeoutMs} ms; its output:\n${output.slice(-4000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith(READY_MARKER));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(READY_MARKER.length + 1)));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the local cluster exited with code ${code} before it was ready; its output:\n${output.slice(-4000)}`,
        ),
      );
    });
  });

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(ready.control.url + path, {
      method,
      headers: { authorization: `Bearer ${ready.control.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`cluster control ${method} ${path}: ${json.error ?? response.status}`);
    return json;
  };

  const adminFile = readEnvFile(join(ready.state.configDir, 'admin.env'));
  return {
    entryUrl: ready.state.entryUrl,
    dataDir: join(dataDir, 'cluster'),
    admin: { email: adminFile.ADMIN_EMAIL ?? '', password: adminFile.ADMIN_PASSWORD ?? '' },
    nodes: ready.state.nodes,
    output: () => output,
    state: () => call<ClusterState>('GET', '/state'),
    peersConnected: () => call('GET', '/peers'),
    stopNode: async (index) => void (await call('POST', `/nodes/${index}/stop`)),
    startNode: async (index, overrides, appDir) =>
      void (await call('POST', `/nodes/${index}/start`, { overrides, appDir })),
    stopApp: async (index) => void (await call('POST', `/nodes/${index}/stop-app`)),
    killProcess: async (index, which) => void (await call('POST', `/nodes/${index}/kill-${which}`)),
    stopPostgres: async (index) => void (await call('POST', `/nodes/${index}/stop-postgres`)),
    async stop() {
      if (child.exitCode === null) {
        await call('POST', '/shutdown').catch(() => child.kill('SIGTERM'));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
