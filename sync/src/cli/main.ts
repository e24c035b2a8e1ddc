#!/usr/bin/env node
/**
 * The sync service's command line:
 *   run      foreground (containers, the local cluster launcher); SIGTERM stops it cleanly
 *   start    background, with a PID file and a log file under --state-dir (default .msk/)
 *   stop     stops exactly the PID in the PID file (SIGTERM, wait, SIGKILL)
 *   status   "Peers Connected: N" and a table, or --json; exit 1 when no service answers
 */
import { Command, Option } from 'commander';
import {
  ConfigurationError,
  type Environment,
  formatProblem,
  loadNodeConfig,
  validateNodeEnvironment,
} from '@msk/contract';
import { applyCliConventions, stdoutPaint } from '@msk/kit/cliConventions';
import { startSyncService, SYNC_VERSION, SyncServiceStartError, type StartedSyncService } from '../service/syncService';
import { SYNC_EXAMPLES } from './examples';
import { defaultPlugins } from './plugins';
import { formatStatus } from '../status/statusTable';
import type { SyncStatus } from '../status/statusModel';
import { EnvFileProblem, type LoadedEnvironment, loadEnvironment } from './envFile';
import {
  isAlive,
  isSyncServiceProcess,
  lastLines,
  probe,
  readPid,
  removeFile,
  sleep,
  spawnBackground,
  stopProcess,
} from './processControl';
import { localStatusAddress, serviceFiles } from './serviceFiles';
import { DEFAULT_LOCAL_CLUSTER_DIR, type LocalClusterNode, localClusterNodes } from './localClusterNodes';

const START_WAIT_MS = 10_000;
const STOP_GRACE_MS = 10_000;
const FORCED_EXIT_MS = 10_000;

interface EnvOptions {
  envFile?: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function loadEnv(options: EnvOptions): LoadedEnvironment {
  try {
    return loadEnvironment({ cwd: process.cwd(), envFiles: options.envFile ?? [], processEnv: process.env });
  } catch (error) {
    if (error instanceof EnvFileProblem) {
      process.stderr.write(`Cannot read the environment file:\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

function describeFiles(loaded: LoadedEnvironment): string {
  return loaded.files.length > 0 ? loaded.files.join(', ') : 'the process environment (no .env.local found)';
}

/** For stop/status: the node name and status address even when the configuration has errors. */
function lenientTarget(env: Environment): {
  nodeName: string | undefined;
  address: string;
  tls: boolean;
  problems: string[];
} {
  const report = validateNodeEnvironment(env, 'sync');
  const problems = report.problems.filter((p) => p.severity === 'error').map(formatProblem);
  if (report.config) {
    const { config } = report;
    return {
      nodeName: config.syncNodeName,
      address: localStatusAddress({
        SYNC_BIND_ADDRESS: config.syncBindAddress,
        SYNC_SERVICE_PORT: String(config.syncServicePort),
      }),
      tls: config.syncTlsCertFile !== '',
      problems,
    };
  }
  return {
    nodeName: env.SYNC_NODE_NAME || undefined,
    address: localStatusAddress(env),
    tls: (env.SYNC_TLS_CERT_FILE ?? '') !== '',
    problems,
  };
}

async function runForeground(
  options: EnvOptions & { dnsServer?: string[]; kubeconfig?: string; kubernetesNamespace?: string },
): Promise<void> {
  const loaded = loadEnv(options);
  let service: StartedSyncService;
  try {
    const { config, warnings } = loadNodeConfig(loaded.env, 'sync');
    service = await startSyncService(config, {
      warnings,
      plugins: defaultPlugins(config),
      discovery: {
        ...(options.dnsServer ? { dnsServers: options.dnsServer } : {}),
        ...(options.kubeconfig ? { kubeconfigPath: options.kubeconfig } : {}),
        ...(options.kubernetesNamespace ? { kubernetesNamespace: options.kubernetesNamespace } : {}),
      },
    });
    for (const warning of warnings) process.stderr.write(`${formatProblem(warning)}\n`);
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof SyncServiceStartError) {
      process.stderr.write(`${error.message}\n(environment read from ${describeFiles(loaded)})\n`);
      process.exit(1);
    }
    throw error;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      process.stderr.write(`sync service did not stop within ${FORCED_EXIT_MS} ms after ${signal}; exiting\n`);
      process.exit(1);
    }, FORCED_EXIT_MS);
    force.unref();
    // a non-zero exitCode set before the stop (the replication plugin's "database replaced") is kept
    void service.stop().then(() => process.exit(process.exitCode ?? 0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function startBackground(options: EnvOptions & { stateDir?: string }, passThrough: string[]): Promise<void> {
  const loaded = loadEnv(options);
  let config;
  try {
    config = loadNodeConfig(loaded.env, 'sync').config;
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n(environment read from ${describeFiles(loaded)})\n`);
      process.exit(1);
    }
    throw error;
  }
  if (!config.syncAutoStart) {
    process.stdout.write(
      `SYNC_AUTO_START is false (in ${describeFiles(loaded)}), so the sync service is not started.\n` +
        'Set SYNC_AUTO_START=true to let `npm run service:start` start it, or run it in the foreground with ' +
        '`npx msk-sync run`.\n',
    );
    return;
  }
  const files = serviceFiles(process.cwd(), options.stateDir, config.syncNodeName);
  const existing = readPid(files.pidFile);
  if (existing !== undefined && isSyncServiceProcess(existing)) {
    process.stdout.write(
      `The sync service of ${config.syncNodeName} is already running (PID ${existing}); log: ${files.logFile}\n`,
    );
    return;
  }
  const envFileArgs = loaded.files.flatMap((f) => ['--env-file', f]);
  const pid = spawnBackground({
    files,
    mainScript: __filename,
    args: [...envFileArgs, ...passThrough],
    cwd: process.cwd(),
    env: process.env,
  });
  const scheme = config.syncTlsCertFile !== '' ? 'https' : 'http';
  const address = localStatusAddress({
    SYNC_BIND_ADDRESS: config.syncBindAddress,
    SYNC_SERVICE_PORT: String(config.syncServicePort),
  });
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      removeFile(files.pidFile);
      process.stderr.write(
        `The sync service exited during start. Last lines of ${files.logFile}:\n${lastLines(files.logFile, 20).join('\n')}\n`,
      );
      process.exit(1);
    }
    const health = await probe(`${scheme}://${address}/health`, 500);
    if (health?.status === 200) {
      process.stdout.write(
        `Sync service of ${config.syncNodeName} started (PID ${pid}) on ${address}, discovery ${config.syncDiscovery}.\n` +
          `PID file: ${files.pidFile}\nLog: ${files.logFile}\n` +
          'Peers usually connect within 2 s; check with `npm run service:status`.\n',
      );
      return;
    }
    await sleep(100);
  }
  process.stderr.write(
    `The sync service (PID ${pid}) did not answer on ${address} within ${START_WAIT_MS} ms. Last lines of ${files.logFile}:\n` +
      `${lastLines(files.logFile, 20).join('\n')}\n`,
  );
  process.exit(1);
}

async function stopBackground(options: EnvOptions & { stateDir?: string; pidFile?: string }): Promise<void> {
  const loaded = loadEnv(options);
  const target = lenientTarget(loaded.env);
  if (!options.pidFile && target.nodeName === undefined) {
    process.stderr.write('Cannot tell which node to stop: SYNC_NODE_NAME is not set. Pass --env-file or --pid-file.\n');
    process.exit(1);
  }
  const pidFile = options.pidFile ?? serviceFiles(process.cwd(), options.stateDir, target.nodeName as string).pidFile;
  const pid = readPid(pidFile);
  if (pid === undefined) {
    process.stdout.write(`No sync service to stop: no PID file at ${pidFile}.\n`);
    return;
  }
  if (!isSyncServiceProcess(pid)) {
    removeFile(pidFile);
    process.stdout.write(
      isAlive(pid)
        ? `PID ${pid} from ${pidFile} is not a sync service (stale PID file, removed); nothing was signalled.\n`
        : `The sync service (PID ${pid}) was not running; removed the stale PID file ${pidFile}.\n`,
    );
    return;
  }
  const result = await stopProcess(pid, STOP_GRACE_MS);
  removeFile(pidFile);
  process.stdout.write(
    result === 'killed'
      ? `The sync service (PID ${pid}) did not stop within ${STOP_GRACE_MS} ms of SIGTERM and was killed (SIGKILL).\n`
      : `Sync service stopped (PID ${pid}).\n`,
  );
}

/** `npm start`'s cluster runs here and no node of our own is configured: show every local node. */
async function showLocalClusterStatus(nodes: readonly LocalClusterNode[], json: boolean): Promise<void> {
  const documents: unknown[] = [];
  let failures = 0;
  for (const node of nodes) {
    const answer = await probe(`http://${node.syncAddress}/status`, 3_000);
    if (!answer || answer.status !== 200) {
      failures++;
      if (json) documents.push({ running: false, name: node.name, address: node.syncAddress });
      else process.stdout.write(`== ${node.name} (${node.syncAddress}): not answering\n\n`);
      continue;
    }
    if (json) documents.push(JSON.parse(answer.body));
    else
      process.stdout.write(
        `== ${node.name} (local cluster)\n${formatStatus(JSON.parse(answer.body) as SyncStatus, stdoutPaint())}\n\n`,
      );
  }
  if (json) process.stdout.write(`${JSON.stringify(documents)}\n`);
  if (failures > 0) process.exitCode = 1;
}

async function showStatus(
  options: EnvOptions & { json?: boolean; address?: string; stateDir?: string; cluster?: string },
): Promise<void> {
  const loaded = loadEnv(options);
  if (!options.address && loaded.files.length === 0) {
    const nodes = localClusterNodes(process.cwd(), options.cluster);
    if (nodes && nodes.length > 0) return showLocalClusterStatus(nodes, Boolean(options.json));
  }
  const target = lenientTarget(loaded.env);
  const address = options.address ?? target.address;
  const url = `${target.tls ? 'https' : 'http'}://${address}/status`;
  const answer = await probe(url, 3_000);
  if (!answer) {
    const lines = [`No sync service is running at ${address} (nothing answers ${url}).`];
    if (target.nodeName) {
      const files = serviceFiles(process.cwd(), options.stateDir, target.nodeName);
      const pid = readPid(files.pidFile);
      if (pid !== undefined && !isAlive(pid))
        lines.push(`The PID file ${files.pidFile} names PID ${pid}, which is not running; see ${files.logFile}.`);
      if (pid !== undefined && isAlive(pid))
        lines.push(`PID ${pid} (${files.pidFile}) is alive but not answering; see ${files.logFile}.`);
    }
    if (target.problems.length > 0)
      lines.push(
        'The environment has problems that keep the service from starting:',
        ...target.problems.map((p) => `  ${p}`),
      );
    lines.push('Start it with `npm run service:start` (or `npx msk-sync run` in the foreground).');
    if (options.json)
      process.stdout.write(`${JSON.stringify({ running: false, address, message: lines.join(' ') })}\n`);
    else process.stderr.write(`${lines.join('\n')}\n`);
    process.exit(1);
  }
  if (answer.status === 401) {
    process.stderr.write(
      `The sync service at ${address} answers /status without credentials only to loopback clients; ` +
        "run `npm run service:status` on that server (peers read each other's status with signed requests).\n",
    );
    process.exit(1);
  }
  if (answer.status !== 200) {
    process.stderr.write(
      `The sync service at ${address} answered HTTP ${answer.status} to /status: ${answer.body.slice(0, 300)}\n`,
    );
    process.exit(1);
  }
  if (options.json) {
    process.stdout.write(`${answer.body}\n`);
    return;
  }
  let status: SyncStatus;
  try {
    status = JSON.parse(answer.body) as SyncStatus;
  } catch {
    process.stderr.write(`The service at ${address} did not answer JSON on /status.\n`);
    process.exit(1);
  }
  process.stdout.write(`${formatStatus(status, stdoutPaint())}\n`);
}

export function buildProgram(): Command {
  const program = new Command('msk-sync').description('Sync service of the Multi-Server Kit');
  const envFileOption = () =>
    new Option(
      '--env-file <path>',
      'read variables from this file (repeatable); default: .env.local in the working directory',
    ).argParser(collect);
  const stateDirOption = () => new Option('--state-dir <dir>', 'where PID and log files live').default('.msk');

  program
    .command('run')
    .description('run the sync service in the foreground (containers, local cluster); SIGTERM stops it')
    .addOption(envFileOption())
    .addOption(
      new Option(
        '--dns-server <host:port>',
        'dns discovery: ask this DNS server instead of the system resolver (repeatable)',
      ).argParser(collect),
    )
    .option('--kubeconfig <path>', 'kubernetes discovery: kubeconfig file instead of the in-cluster service account')
    .option(
      '--kubernetes-namespace <name>',
      "kubernetes discovery: namespace (default: the kubeconfig context or the pod's)",
    )
    .action(runForeground);

  program
    .command('start')
    .description('start the sync service in the background (PID file and log under --state-dir)')
    .addOption(envFileOption())
    .addOption(stateDirOption())
    .addOption(new Option('--dns-server <host:port>', 'passed to run').argParser(collect))
    .option('--kubeconfig <path>', 'passed to run')
    .action(async (options: EnvOptions & { stateDir?: string; dnsServer?: string[]; kubeconfig?: string }) => {
      const passThrough = [
        ...(options.dnsServer ?? []).flatMap((s) => ['--dns-server', s]),
        ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : []),
      ];
      await startBackground(options, passThrough);
    });

  program
    .command('stop')
    .description('stop the background sync service started by `start` (exactly the PID in its PID file)')
    .addOption(envFileOption())
    .addOption(stateDirOption())
    .option('--pid-file <path>', 'the PID file to use instead of <state-dir>/sync-<SYNC_NODE_NAME>.pid')
    .action(stopBackground);

  program
    .command('status')
    .description('print "Peers Connected: N" and the peer table of the local sync service')
    .addOption(envFileOption())
    .addOption(stateDirOption())
    .option('--json', 'print the status document as JSON')
    .option(
      '--address <host:port>',
      'ask this service instead of the one configured here (loopback only without credentials)',
    )
    .option(
      '--cluster <dir>',
      'without .env.local: show every node of the local cluster (npm start) kept in this folder',
      DEFAULT_LOCAL_CLUSTER_DIR,
    )
    .action(showStatus);
  return applyCliConventions(program, { version: SYNC_VERSION, examples: SYNC_EXAMPLES });
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
