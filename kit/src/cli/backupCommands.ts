/**
 * `msk backup` and `msk restore` (also `npm run backup -- ...` / `npm run restore -- ...`). Two ways to reach a node:
 * a node of the local cluster (`--node N`, the default), or any node through a command that runs PostgreSQL's
 * programs next to its database (`--exec "docker compose exec -T -u postgres postgres-2"`, `--exec "kubectl exec -i
 * pod -c postgres --"`) with the node's env file(s) for its identity and the cluster's key.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE_ID_PATTERN } from '@msk/contract';
import { type Command, InvalidArgumentError } from 'commander';
import { readEnvFile } from '../cluster/clusterNodeEnvironment';
import { backupNode } from '../backup/backupNode';
import { BackupFileError, MAX_BACKUP_AGE_MS } from '../backup/backupFile';
import { LocalClusterError, localClusterNode } from '../backup/localClusterNode';
import { type PostgresAccess, PostgresToolError, runSql } from '../backup/postgresTools';
import { checkBackup, restoreDatabase } from '../backup/restoreNode';

/** Largest backup file read (the dump is held in memory, like a snapshot between nodes). */
const MAX_BACKUP_FILE_BYTES = 4 * 1024 * 1024 * 1024 - 1;

interface TargetOptions {
  node: number;
  dataDir: string;
  pgBin?: string;
  exec?: string;
  envFile?: string[];
  database: string;
  dbUser: string;
}

interface Target {
  /** undefined: read from the target database (msk_sync.node), as on Kubernetes where the pod derives it. */
  readonly nodeId: string | undefined;
  readonly nodeName: string | undefined;
  readonly registrationKey: string;
  readonly access: PostgresAccess;
  /** Local cluster only: stop/start the node's services around a restore. */
  readonly control?: (action: 'stop-services' | 'start-postgres' | 'start') => Promise<void>;
}

function nodeIndex(value: string): number {
  if (!/^[1-9]\d{0,2}$/.test(value)) throw new InvalidArgumentError('must be a node number (1, 2, ...)');
  return Number(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function targetOf(options: TargetOptions): Target {
  if (options.exec === undefined) {
    if (options.envFile)
      throw new InvalidArgumentError('--env-file goes with --exec (a local cluster node has its own node.env)');
    return localClusterNode(options.dataDir, options.node, options.pgBin ?? process.env.MSK_PG_BIN);
  }
  const prefix = options.exec.trim().split(/\s+/).filter(Boolean);
  if (prefix.length === 0)
    throw new InvalidArgumentError('--exec needs the command that runs a program next to the database');
  if (!options.envFile || options.envFile.length === 0) {
    throw new InvalidArgumentError(
      "--exec needs --env-file: the env file(s) with the cluster's SYNC_REGISTRATION_KEY (and the node's SYNC_NODE_ID)",
    );
  }
  const env: Record<string, string> = {};
  for (const file of options.envFile) Object.assign(env, readEnvFile(file));
  const nodeId = env.SYNC_NODE_ID;
  const registrationKey = env.SYNC_REGISTRATION_KEY;
  if (!registrationKey)
    throw new InvalidArgumentError(`SYNC_REGISTRATION_KEY is in none of ${options.envFile.join(', ')}`);
  return {
    nodeId,
    nodeName: env.SYNC_NODE_NAME ?? nodeId,
    registrationKey,
    access: { kind: 'exec', prefix, user: options.dbUser, database: options.database },
  };
}

function targetOptions(command: Command): Command {
  return command
    .option('--node <n>', 'node of the local cluster (npm start)', nodeIndex, 1)
    .option('--data-dir <dir>', "the local cluster's data folder", '.local-cluster')
    .option(
      '--pg-bin <dir>',
      'folder of pg_dump/pg_restore/psql for the local cluster (default: MSK_PG_BIN, then PATH)',
    )
    .option(
      '--exec <command>',
      'run the database\'s own programs through this command (compose: "docker compose exec -T -u postgres postgres-2")',
    )
    .option(
      '--env-file <file>',
      "with --exec: env file(s) with SYNC_REGISTRATION_KEY (and SYNC_NODE_ID, else the database's own record); repeat for several",
      collect,
    )
    .option('--database <name>', "with --exec: the node's database", 'multi_business_db')
    .option('--db-user <user>', "with --exec: a superuser of the node's PostgreSQL", 'postgres');
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

/** A refused file, a failed program or a missing cluster is a problem found (exit 1), not a usage error (exit 2). */
function reported<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (!(
        error instanceof BackupFileError ||
        error instanceof PostgresToolError ||
        error instanceof LocalClusterError
      ))
        throw error;
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 1;
    }
  };
}

/** The node ID the target database records (its sync service wrote it when it first ran there). */
async function recordedNodeId(access: PostgresAccess): Promise<string> {
  const found = await runSql(
    access,
    "SELECT CASE WHEN to_regclass('msk_sync.node') IS NULL THEN '' ELSE (SELECT node_id FROM msk_sync.node) END",
  );
  if (!NODE_ID_PATTERN.test(found)) {
    throw new BackupFileError(
      "this node's ID is unknown: put SYNC_NODE_ID in an --env-file, or start the node once (its sync service records the ID in its database)",
    );
  }
  return found;
}

export function addBackupCommands(program: Command): void {
  targetOptions(
    program
      .command('backup')
      .description("back up one node's database (pg_dump custom format + a signed manifest); the node keeps running"),
  )
    .option('--out <file>', 'where to write the backup (default: backups/<node name>-<time>.mskbackup)')
    .action(
      reported(async (options: TargetOptions & { out?: string }) => {
        const target = targetOf(options);
        const { manifest, file } = await backupNode({
          access: target.access,
          registrationKey: target.registrationKey,
          nodeName: target.nodeName,
          progress: (line) => say(`[backup] ${line}`),
        });
        const out =
          options.out ??
          join(
            'backups',
            `${target.nodeName ?? manifest.nodeId}-${manifest.createdAt.replace(/[:.]/g, '').replace(/-/g, '')}.mskbackup`,
          );
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, file, { mode: 0o600 });
        chmodSync(out, 0o600); // it holds every row of the node, password hashes included
        say(`backup of ${manifest.nodeName ?? manifest.nodeId} (${manifest.nodeId}) written to ${out}`);
        say(
          `  ${file.length} bytes, dump sha256 ${manifest.dump.sha256.slice(0, 16)}…, schema ${manifest.schemaVersion}, ${manifest.capture.rows} replicated rows (${manifest.capture.tombstones} tombstones)`,
        );
        say(
          `  made ${manifest.createdAt}; restore it within ${MAX_BACKUP_AGE_MS / 86_400_000} days while other nodes run on (docs/backup-and-restore.md)`,
        );
      }),
    );

  targetOptions(
    program
      .command('restore')
      .description(
        "restore one node's database from its backup, safely for replication (the node then reloads from its peers)",
      )
      .argument('<file>', 'a backup made by msk backup'),
  )
    .option('--check-only', 'check the file against this node and stop (nothing is changed)')
    .option(
      '--allow-old-backup',
      `accept a backup older than ${MAX_BACKUP_AGE_MS / 86_400_000} days: only when no other node survives`,
    )
    .action(
      reported(async (file: string, options: TargetOptions & { checkOnly?: boolean; allowOldBackup?: boolean }) => {
        const size = statSync(file).size;
        if (size > MAX_BACKUP_FILE_BYTES)
          throw new BackupFileError(`${file} is ${size} bytes: larger than a backup this tool restores (4 GiB)`);
        const target = targetOf(options);
        const nodeId = target.nodeId ?? (await recordedNodeId(target.access));
        const backup = checkBackup({
          bytes: readFileSync(file),
          fileName: file,
          nodeId,
          registrationKey: target.registrationKey,
          allowOld: options.allowOldBackup,
        });
        const { manifest } = backup;
        say(
          `[restore] ${file}: backup of node ${manifest.nodeId} made ${manifest.createdAt}, schema ${manifest.schemaVersion}, ${manifest.capture.rows} replicated rows: checks passed`,
        );
        if (options.checkOnly) return;
        if (target.control) {
          say(`[restore] stopping the app and sync service of node ${options.node}`);
          await target.control('stop-services');
          await target.control('start-postgres');
        }
        const outcome = await restoreDatabase(target.access, backup, (line) => say(`[restore] ${line}`)).catch(
          (error: unknown) => {
            if (target.control)
              say(
                `[restore] the restore failed: node ${options.node}'s app and sync service stay stopped; fix the problem and run msk restore again`,
              );
            throw error;
          },
        );
        say(
          `[restore] restored: new incarnation ${outcome.incarnation ?? '(made when the sync service starts)'}, ${outcome.logRows} change-log rows, cursors on ${outcome.peers} peer(s) cleared`,
        );
        if (target.control) {
          say(
            `[restore] starting node ${options.node} again: it loads a snapshot from a peer, and its peers read its log again`,
          );
          await target.control('start');
        } else {
          say(
            "[restore] start the node's app and sync service again: it loads a snapshot from a peer, and its peers read its log again",
          );
        }
      }),
    );
}
