/**
 * `msk backup`: one node's database as pg_dump's custom format, with a signed manifest (backupFile.ts). The node
 * keeps running: pg_dump reads one consistent snapshot. Facts for the manifest are read just before the dump, so its
 * capture position is a lower bound (every change below it is in the dump) and its time is when the dump began.
 */
import { MANIFEST_FACTS_SQL, REPLICATION_FACTS_SQL } from './backupSql';
import { type BackupManifest, encodeBackup, sha256, signManifest } from './backupFile';
import { type PostgresAccess, PostgresToolError, runSql, runTool, toolMajorVersion } from './postgresTools';

export interface BackupProps {
  readonly access: PostgresAccess;
  readonly registrationKey: string;
  readonly nodeName?: string;
  /** @default Date.now */
  readonly getNowMs?: () => number;
  readonly progress?: (line: string) => void;
}

export interface BackupResult {
  readonly manifest: BackupManifest;
  readonly file: Buffer;
}

interface ManifestFacts {
  hasSyncSchema: boolean;
  database: string;
  serverVersion: string;
  serverMajor: number;
  fence: string;
}

interface ReplicationFacts {
  nodeId: string;
  schemaVersion: string;
  incarnation: string | null;
  newestHlc: string | null;
  rows: number;
  tombstones: number;
  peers: { nodeId: string; cursor: { xid: string; seq: string } | null }[];
}

export async function backupNode(props: BackupProps): Promise<BackupResult> {
  const { access } = props;
  const progress = props.progress ?? (() => undefined);
  const now = props.getNowMs ?? Date.now;
  const facts = JSON.parse(await runSql(access, MANIFEST_FACTS_SQL)) as ManifestFacts;
  if (!facts.hasSyncSchema) {
    throw new PostgresToolError(
      `database ${facts.database} has no replication schema (msk_sync): the node's sync service has not run on it yet, so ` +
        'nothing identifies the node. Start the node (its sync service) once, then back it up',
    );
  }
  const dumpTool = await toolMajorVersion(access, 'pg_dump');
  if (dumpTool.major < facts.serverMajor) {
    throw new PostgresToolError(
      `${dumpTool.text} is older than the server (PostgreSQL ${facts.serverVersion}): use pg_dump ${facts.serverMajor} or newer ` +
        (access.kind === 'local' ? '(--pg-bin DIR or MSK_PG_BIN)' : "(the server's own, through --exec)"),
    );
  }
  const replication = JSON.parse(await runSql(access, REPLICATION_FACTS_SQL)) as ReplicationFacts;
  const createdAt = new Date(now()).toISOString();
  progress(
    `dumping database ${facts.database} of node ${replication.nodeId} (PostgreSQL ${facts.serverVersion}, ${replication.rows} replicated rows) with ${dumpTool.text}`,
  );
  const started = now();
  const dump = (await runTool(access, 'pg_dump', ['--format=custom', '--no-password'])).stdout;
  if (dump.length === 0) throw new PostgresToolError('pg_dump wrote nothing');
  progress(`dumped ${dump.length} bytes in ${now() - started} ms`);
  const manifest = signManifest(
    {
      format: 'msk-backup',
      formatVersion: 1,
      nodeId: replication.nodeId,
      nodeName: props.nodeName ?? null,
      database: facts.database,
      createdAt,
      schemaVersion: replication.schemaVersion,
      serverVersion: facts.serverVersion,
      dumpTool: dumpTool.text,
      capture: {
        incarnation: replication.incarnation,
        position: { xid: facts.fence, seq: '0' },
        newestHlc: replication.newestHlc,
        rows: replication.rows,
        tombstones: replication.tombstones,
      },
      peers: replication.peers,
      dump: { bytes: dump.length, sha256: sha256(dump) },
    },
    props.registrationKey,
  );
  return { manifest, file: encodeBackup(manifest, dump) };
}
