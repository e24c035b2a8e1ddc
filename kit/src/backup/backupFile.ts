/**
 * The backup file of one node: a header line, the manifest (one line of JSON) and the database as pg_dump's custom
 * format, byte for byte. Pure: building, parsing and checking; the I/O is in backupNode.ts and restoreNode.ts.
 *
 *   MSK-BACKUP 1\n
 *   {"format":"msk-backup",...,"signature":"..."}\n
 *   <pg_dump -Fc output>
 *
 * The manifest says which node and cluster the dump belongs to and what it holds (node ID, schema version, capture
 * position, time, the dump's length and SHA-256), never a secret. It is signed with a key derived from the cluster's
 * SYNC_REGISTRATION_KEY (HMAC-SHA256), so a changed byte anywhere, or a backup of another cluster, is refused
 * before anything is restored.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { NODE_ID_PATTERN, NODE_ID_RULE, namedIssues } from '@msk/contract';
import { z } from 'zod';

export const BACKUP_HEADER = 'MSK-BACKUP 1\n';
export const BACKUP_FORMAT_VERSION = 1;
/** Longest manifest line accepted (a hostile file cannot make us buffer more before it is refused). */
export const MAX_MANIFEST_BYTES = 64 * 1024;
/**
 * How long a tombstone (the record of a delete) is kept after every peer acknowledged it: the sync service's
 * PURGE_RETENTION_MS (sync/src/replicationPlugin/tombstonePurge.ts). A backup older than that may hold rows
 * whose deletes the other nodes have forgotten: restored, they would come back.
 */
export const TOMBSTONE_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** Margin kept below the retention: the restore, the catch-up after it and clock differences between nodes. */
export const RESTORE_SAFETY_MARGIN_MS = 24 * 60 * 60_000;
/** The oldest backup `msk restore` accepts while other nodes run on (6 days). */
export const MAX_BACKUP_AGE_MS = TOMBSTONE_RETENTION_MS - RESTORE_SAFETY_MARGIN_MS;

const cursorSchema = z.object({ xid: z.string().regex(/^\d{1,20}$/), seq: z.string().regex(/^\d{1,20}$/) });

export const manifestSchema = z
  .object({
    format: z.literal('msk-backup'),
    formatVersion: z.literal(BACKUP_FORMAT_VERSION),
    nodeId: z.string().regex(NODE_ID_PATTERN, `must be a node ID (${NODE_ID_RULE})`),
    nodeName: z.string().max(253).nullable(),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain database name'),
    /** When the dump started (ISO 8601, UTC): the backup holds every write committed before. */
    createdAt: z.iso.datetime(),
    schemaVersion: z.string().min(1).max(64),
    serverVersion: z.string().max(200),
    dumpTool: z.string().max(200),
    capture: z.object({
      /** The incarnation of the change log when the backup was taken (a restore makes a new one). */
      incarnation: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .nullable(),
      /** The xid fence before the dump: every change below it is in the backup. */
      position: cursorSchema,
      /** The newest HLC stamp in the change log. */
      newestHlc: z
        .string()
        .regex(/^[0-9a-f]{36}$/)
        .nullable(),
      rows: z.number().int().min(0),
      tombstones: z.number().int().min(0),
    }),
    /** Peers this node knew, with its cursor on each (informational: a restore pulls from every peer again). */
    peers: z.array(z.object({ nodeId: z.string().regex(NODE_ID_PATTERN), cursor: cursorSchema.nullable() })).max(1000),
    /** Keyed fingerprint of SYNC_REGISTRATION_KEY: names the cluster without revealing the key. */
    clusterFingerprint: z.string().regex(/^[0-9a-f]{16}$/),
    dump: z.object({ bytes: z.number().int().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    signature: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export type BackupManifest = z.infer<typeof manifestSchema>;
export type UnsignedManifest = Omit<BackupManifest, 'signature' | 'clusterFingerprint'>;

export class BackupFileError extends Error {}

function manifestKey(registrationKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', registrationKey, 'multi-server-kit backup', 'manifest signature v1', 32));
}

/** Names the cluster (the registration key) in the manifest: a keyed hash, useless for guessing the key. */
export function clusterFingerprint(registrationKey: string): string {
  return Buffer.from(
    hkdfSync('sha256', registrationKey, 'multi-server-kit backup', 'cluster fingerprint v1', 8),
  ).toString('hex');
}

/** The manifest's bytes that the signature covers: every field but the signature, in a fixed order. */
function signedText(manifest: Omit<BackupManifest, 'signature'>): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
          )
        : value;
  return JSON.stringify(sorted(manifest));
}

export function signManifest(manifest: UnsignedManifest, registrationKey: string): BackupManifest {
  const withCluster = { ...manifest, clusterFingerprint: clusterFingerprint(registrationKey) };
  const signature = createHmac('sha256', manifestKey(registrationKey)).update(signedText(withCluster)).digest('hex');
  return { ...withCluster, signature };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeBackup(manifest: BackupManifest, dump: Buffer): Buffer {
  return Buffer.concat([Buffer.from(BACKUP_HEADER + JSON.stringify(manifest) + '\n', 'utf8'), dump]);
}

export interface ParsedBackup {
  readonly manifest: BackupManifest;
  readonly dump: Buffer;
}

/**
 * Reads a backup file's bytes: header, manifest (parsed and checked field by field), dump (length and SHA-256 as
 * the manifest says). Does NOT check the signature (verifyBackup does, with the cluster's key).
 */
export function parseBackup(bytes: Buffer, name = 'the backup file'): ParsedBackup {
  if (
    bytes.length < BACKUP_HEADER.length ||
    bytes.subarray(0, BACKUP_HEADER.length).toString('latin1') !== BACKUP_HEADER
  ) {
    throw new BackupFileError(
      `${name} is not a Multi-Server Kit backup (it does not start with "MSK-BACKUP 1"): make backups with msk backup`,
    );
  }
  const end = bytes.indexOf(0x0a, BACKUP_HEADER.length);
  if (end < 0 || end - BACKUP_HEADER.length > MAX_MANIFEST_BYTES) {
    throw new BackupFileError(
      `${name}: the manifest line is missing or longer than ${MAX_MANIFEST_BYTES} bytes (a damaged or foreign file)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(BACKUP_HEADER.length, end).toString('utf8'));
  } catch {
    throw new BackupFileError(`${name}: the manifest is not valid JSON (a damaged file)`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new BackupFileError(`${name}: the manifest is not valid: ${namedIssues(parsed.error, '(manifest)')}`);
  }
  const manifest = parsed.data;
  const dump = bytes.subarray(end + 1);
  if (dump.length !== manifest.dump.bytes) {
    throw new BackupFileError(
      `${name}: the dump is ${dump.length} bytes, the manifest says ${manifest.dump.bytes} (the file was truncated or appended to)`,
    );
  }
  if (sha256(dump) !== manifest.dump.sha256) {
    throw new BackupFileError(
      `${name}: the dump's SHA-256 differs from the manifest's (the file was changed or damaged)`,
    );
  }
  return { manifest, dump };
}

export interface RestoreTarget {
  /** SYNC_NODE_ID of the node being restored. */
  readonly nodeId: string;
  /** The cluster's SYNC_REGISTRATION_KEY (never printed). */
  readonly registrationKey: string;
  readonly nowMs: number;
  /** Accept a backup older than MAX_BACKUP_AGE_MS (only when no other node runs on: see docs). */
  readonly allowOld?: boolean;
}

/** Every reason to refuse this backup for this node, in words that name the problem and the fix. */
export function refusals(manifest: BackupManifest, target: RestoreTarget): string[] {
  const problems: string[] = [];
  if (manifest.clusterFingerprint !== clusterFingerprint(target.registrationKey)) {
    problems.push(
      "the backup was made in another cluster (its SYNC_REGISTRATION_KEY differs from this node's): restore a backup of this cluster",
    );
  } else {
    const { signature, ...signed } = manifest;
    const expected = createHmac('sha256', manifestKey(target.registrationKey)).update(signedText(signed)).digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      problems.push("the manifest's signature does not match (the manifest was changed): use an unchanged backup file");
    }
  }
  if (manifest.nodeId !== target.nodeId) {
    problems.push(
      `the backup is of node ${manifest.nodeId}${manifest.nodeName ? ` (${manifest.nodeName})` : ''}, this node is ${target.nodeId}: ` +
        'restore each node from its own backups (a copy of another node would take its identity)',
    );
  }
  const ageMs = target.nowMs - Date.parse(manifest.createdAt);
  if (ageMs < -5 * 60_000) {
    problems.push(`the backup claims to be made in the future (${manifest.createdAt}): check this machine's clock`);
  } else if (ageMs > MAX_BACKUP_AGE_MS && !target.allowOld) {
    problems.push(
      `the backup is ${(ageMs / 86_400_000).toFixed(1)} days old; the other nodes forget deletes after ${TOMBSTONE_RETENTION_MS / 86_400_000} days, ` +
        `so rows deleted since could come back: restore a backup younger than ${MAX_BACKUP_AGE_MS / 86_400_000} days, or start the node ` +
        'with an empty database (it loads everything from its peers). Only when no other node survives, pass --allow-old-backup',
    );
  }
  return problems;
}
