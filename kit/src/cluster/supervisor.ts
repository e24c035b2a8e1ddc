/**
 * `npm start` / `msk up`: runs a local cluster in the foreground. One per data folder (a second one says so),
 * Ctrl-C or SIGTERM stops every process it started, PostgreSQL included.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadEmbeddedPostgres } from '../postgres/embeddedPostgres';
import { startControlServer } from './controlServer';
import { LocalCluster, type LocalClusterProps } from './localCluster';
import { processAlive } from './processAlive';

export const READY_MARKER = 'MSK_CLUSTER_READY';

export interface SupervisorOptions extends LocalClusterProps {
  /** Print one machine-readable line when ready (the test harness waits for it). */
  readonly machineReadable?: boolean;
}

export interface ClusterFile {
  readonly supervisorPid: number;
  readonly control: { url: string; token: string };
  readonly state: ReturnType<LocalCluster['state']>;
}

export function clusterFilePath(dataDir: string): string {
  return resolve(dataDir, 'cluster.json');
}

/** The cluster running from this data folder, if any (cluster.json written by a live supervisor). */
export function runningCluster(dataDir: string): ClusterFile | undefined {
  const path = clusterFilePath(dataDir);
  if (!existsSync(path)) return undefined;
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as ClusterFile;
    return processAlive(file.supervisorPid) ? file : undefined;
  } catch {
    return undefined;
  }
}

function lockPath(dataDir: string): string {
  return `${resolve(dataDir)}.lock`;
}

function acquireLock(dataDir: string): void {
  const path = lockPath(dataDir);
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8'));
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) {
      const running = runningCluster(dataDir);
      throw new Error(
        `a local cluster is already running from ${dataDir} (supervisor pid ${pid})` +
          (running ? ` at ${running.state.entryUrl}` : '') +
          `. Use it, or stop it (Ctrl-C in its terminal, or kill ${pid}) before starting another.`,
      );
    }
  }
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  writeFileSync(path, String(process.pid));
}

function releaseLock(dataDir: string): void {
  rmSync(lockPath(dataDir), { force: true });
  rmSync(clusterFilePath(dataDir), { force: true });
}

/** A stop signal repeated within this time after the first is the same one delivered twice (see runSupervisor). */
const REPEATED_SIGNAL_GRACE_MS = 1000;

export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const print = (line: string) => process.stdout.write(line + '\n');
  // Whoever reads our output may be gone (a harness that exited, a closed terminal): a write then fails with EPIPE,
  // which unhandled would end this process in the middle of a stop and leave the nodes' apps and sync running.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  acquireLock(options.dataDir);
  await loadEmbeddedPostgres(); // before our signal handlers, so only ours decide what Ctrl-C does
  const cluster = new LocalCluster({
    ...options,
    progress: (line) => print(`[cluster] ${line}`),
    // While starting, a process that dies fails the start (with its log lines); after that it is a warning, except
    // while stopping (a Ctrl-C in the terminal reaches the nodes' processes too, and they exit on it).
    onProcessExit: (description) => started && !stopping && print(`[cluster] WARNING ${description}`),
  });
  let stopping: Promise<void> | undefined;
  let started = false;
  let exitCode = 0;
  let wake: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (wake = resolve));
  let firstSignalMs = 0;
  const stop = (why: string) => {
    if (stopping) {
      // One Ctrl-C in a terminal reaches this process twice under `npm start`: from the terminal (the whole
      // foreground process group) and from npm, which forwards it. Only a second press means "now".
      if (Date.now() - firstSignalMs < REPEATED_SIGNAL_GRACE_MS) return stopping;
      print(`[cluster] ${why} again: killing every process of the cluster now`);
      cluster.killAllNow();
      releaseLock(options.dataDir);
      process.exit(130);
    }
    firstSignalMs = Date.now();
    print(`[cluster] ${why}: stopping every node (PostgreSQL included)…`);
    stopping = cluster.stop().finally(() => wake());
    return stopping;
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (options.machineReadable) {
    // Started by a program (the test harness), not a person: when that program exits without stopping us, stop
    // too rather than leave a cluster running that nobody will stop.
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      if (!stopping) void stop('the program that started this cluster exited');
    }, 500);
    watch.unref();
  }

  try {
    const startedAt = Date.now();
    const state = await cluster.start();
    started = true;
    if (stopping) {
      // Ctrl-C came while nodes were still starting: stop what started after the first stop began.
      await finished;
      await cluster.stop();
      releaseLock(options.dataDir);
      return 130;
    }
    const control = await startControlServer(cluster, () => void stop('shutdown requested'));
    const peers = await cluster.waitForPeers(10_000);
    const file: ClusterFile = {
      supervisorPid: process.pid,
      control: { url: control.url, token: control.token },
      state,
    };
    writeFileSync(clusterFilePath(options.dataDir), JSON.stringify(file, null, 2), { mode: 0o600 });

    const admin = cluster.adminCredentials;
    print('');
    print(`Multi-Server Kit: ${state.nodes.length} node(s) up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    print(`  Open ${state.entryUrl}  (round robin over every node)`);
    if (admin?.firstRun) {
      print(`  Admin (shown once; kept in ${state.configDir}/admin.env, mode 0600):`);
      print(`    email    ${admin.email}`);
      print(`    password ${admin.password}`);
    } else if (admin) {
      print(`  Admin: ${admin.email} (password in ${state.configDir}/admin.env)`);
    }
    for (const node of state.nodes) {
      const count = peers.get(node.index);
      print(
        `  ${node.name} (${node.nodeId})  app ${node.appUrl}  sync ${node.syncUrl}  Peers Connected: ${count ?? 'unknown (sync not answering)'}`,
      );
    }
    print(`  Logs: ${options.dataDir}/node-N/logs/   Status: npm run service:status   Stop: Ctrl-C`);
    // For the test harness: where to reach the control API. Credentials stay in the 0600 config folder.
    if (options.machineReadable) print(`${READY_MARKER} ${JSON.stringify(file)}`);
    await finished;
    await control.stop();
  } catch (error) {
    exitCode = stopping ? 130 : 1;
    const reason = error instanceof Error ? error.message : String(error);
    // A start cut short by Ctrl-C is not a failure to report as one: its first line says what was interrupted.
    process.stderr.write(
      stopping ? `[cluster] start interrupted: ${reason.split('\n')[0]}\n` : `[cluster] failed to start: ${reason}\n`,
    );
    if (!stopping) await stop('start failed');
    await cluster.stop(); // again: nodes still starting when the first stop ran
  } finally {
    releaseLock(options.dataDir);
  }
  if (stopping) print('[cluster] stopped.');
  return exitCode || 0;
}
