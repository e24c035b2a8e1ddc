/**
 * `msk restore`: puts a node's database back from its backup, safely for replication. Order:
 * 1. the file is read and checked whole (header, manifest, length, SHA-256, signature with the cluster's key, node,
 *    age) — on any refusal nothing is touched;
 * 2. the node's database is dropped and recreated from the dump (pg_restore --create, stopping at the first error);
 * 3. the restored change log gets a new incarnation, its positions move to now, and the node's cursors on its peers
 *    go (backupSql.ts PREPARE_RESTORED_LOG_SQL): when its sync service starts it loads a snapshot from a peer, and
 *    every peer pulls this node's log again from its start.
 * The caller stops the node's app and sync service before, and starts them after.
 */
import { type BackupManifest, BackupFileError, parseBackup, refusals } from './backupFile';
import { PREPARE_RESTORED_LOG_SQL, dropDatabaseSql } from './backupSql';
import { type PostgresAccess, runSql, runTool } from './postgresTools';

export interface CheckProps {
  readonly bytes: Buffer;
  readonly fileName: string;
  readonly nodeId: string;
  readonly registrationKey: string;
  readonly allowOld?: boolean;
  /** @default Date.now */
  readonly getNowMs?: () => number;
}

/** Step 1 alone: the parsed backup, or a BackupFileError listing every problem. */
export function checkBackup(props: CheckProps): { manifest: BackupManifest; dump: Buffer } {
  const parsed = parseBackup(props.bytes, props.fileName);
  const problems = refusals(parsed.manifest, {
    nodeId: props.nodeId,
    registrationKey: props.registrationKey,
    nowMs: (props.getNowMs ?? Date.now)(),
    allowOld: props.allowOld,
  });
  if (problems.length > 0)
    throw new BackupFileError(`${props.fileName} is refused, nothing was restored:\n  - ${problems.join('\n  - ')}`);
  return parsed;
}

export interface RestoreOutcome {
  readonly incarnation: string | null;
  readonly logRows: number;
  readonly peers: number;
}

export async function restoreDatabase(
  access: PostgresAccess,
  backup: { manifest: BackupManifest; dump: Buffer },
  progress: (line: string) => void = () => undefined,
): Promise<RestoreOutcome> {
  const { manifest, dump } = backup;
  if (manifest.database !== access.database) {
    throw new BackupFileError(
      `the backup is of database ${manifest.database}, the node's database is ${access.database}: pass --database ${manifest.database}`,
    );
  }
  progress(`dropping database ${manifest.database} (with every connection to it)`);
  await runSql(access, dropDatabaseSql(manifest.database), 'postgres');
  progress(`restoring ${manifest.database} from the dump (${dump.length} bytes, made ${manifest.createdAt})`);
  await runTool(access, 'pg_restore', ['--create', '--exit-on-error', '--no-password'], {
    input: dump,
    database: 'postgres',
  });
  const hasLog = await runSql(access, "SELECT to_regclass('msk_sync.node') IS NOT NULL");
  if (hasLog !== 't') return { incarnation: null, logRows: 0, peers: 0 };
  progress(
    'preparing the restored change log for replication (new incarnation, positions moved to now, cursors on peers cleared)',
  );
  const outcome = JSON.parse(
    (await runSql(access, PREPARE_RESTORED_LOG_SQL)).split('\n').filter(Boolean).pop() ?? '{}',
  ) as RestoreOutcome;
  return outcome;
}
