/**
 * `npm run clean` / `npm start -- --clean`: uninstalls the local cluster. Stops it when it runs (through its control
 * API, as Ctrl-C would), stops a node's PostgreSQL that a killed cluster left running (its postmaster.pid, checked to
 * be a postgres of this folder), then removes the data folder — every node's database, logs and the generated
 * configuration with its secrets — and the lock file, printing each path it removes. Backups (backups/) and init's
 * output for servers (deploy/) are not touched.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runningCluster } from './supervisor';
import { processAlive } from './processAlive';

export interface CleanProps {
  readonly dataDir: string;
  readonly print: (line: string) => void;
  /** How long to wait for a running cluster to stop. @default 60000 */
  readonly stopTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** PostgreSQL servers still running from this data folder (a cluster killed with -9 leaves them). */
function leftoverPostgres(dataDir: string): { pid: number; dir: string }[] {
  if (!existsSync(dataDir)) return [];
  const found: { pid: number; dir: string }[] = [];
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^node-\d+$/.test(entry.name)) continue;
    const dir = join(dataDir, entry.name, 'postgres');
    const pidFile = join(dir, 'postmaster.pid');
    if (!existsSync(pidFile)) continue;
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(lines[0]);
    if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) continue;
    // only a postgres serving exactly this folder (the pid may have been reused by anything else)
    if (resolve(lines[1] ?? '') !== resolve(dir)) continue;
    const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : 'postgres';
    if (!cmdline.includes('postgres')) continue;
    found.push({ pid, dir });
  }
  return found;
}

export async function cleanLocalCluster(props: CleanProps): Promise<number> {
  const { print } = props;
  const dataDir = resolve(props.dataDir);
  const timeoutMs = props.stopTimeoutMs ?? 60_000;
  const running = runningCluster(dataDir);
  if (running) {
    print(`stopping the local cluster running from ${dataDir} (supervisor pid ${running.supervisorPid})`);
    await fetch(`${running.control.url}/shutdown`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.control.token}` },
    }).catch(() => {
      process.kill(running.supervisorPid, 'SIGTERM');
    });
    if (!(await waitForExit(running.supervisorPid, timeoutMs))) {
      print(
        `the cluster did not stop within ${timeoutMs / 1000} s: stop it (Ctrl-C in its terminal, or kill ${running.supervisorPid}) and run clean again`,
      );
      return 1;
    }
  }
  for (const server of leftoverPostgres(dataDir)) {
    print(`stopping PostgreSQL pid ${server.pid} left running in ${server.dir}`);
    process.kill(server.pid, 'SIGINT'); // PostgreSQL's fast shutdown (SIGTERM, its smart one, waits for clients)
    if (!(await waitForExit(server.pid, timeoutMs))) {
      print(`PostgreSQL pid ${server.pid} did not stop: stop it (kill ${server.pid}) and run clean again`);
      return 1;
    }
  }
  const removable = [
    {
      path: dataDir,
      what: "the local cluster: every node's database, logs and the generated configuration (secrets, admin password)",
    },
    { path: `${dataDir}.lock`, what: 'the lock file of npm start' },
  ];
  let removed = 0;
  for (const { path, what } of removable) {
    if (!existsSync(path)) continue;
    print(`removing ${path} (${what})`);
    rmSync(path, { recursive: true, force: true });
    removed += 1;
  }
  print(
    removed === 0
      ? `nothing to remove: ${dataDir} does not exist`
      : 'the local cluster is removed; npm start makes a new one (new secrets, empty databases)',
  );
  return 0;
}
