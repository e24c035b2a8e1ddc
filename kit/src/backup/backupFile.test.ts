import { randomBytes } from 'node:crypto';
import {
  BackupFileError,
  MAX_BACKUP_AGE_MS,
  type UnsignedManifest,
  encodeBackup,
  parseBackup,
  refusals,
  sha256,
  signManifest,
} from './backupFile';

// A fresh key per run (never the setup guide's published example key).
const KEY = randomBytes(32).toString('hex');
const NODE = '0123456789abcdef';
const MADE_MS = Date.parse('2026-12-01T10:00:00.000Z');
const dump = Buffer.from('PGDMP fake custom-format bytes \u0000\u0001\u0002', 'latin1');

function unsigned(overrides: Partial<UnsignedManifest> = {}): UnsignedManifest {
  return {
    format: 'msk-backup',
    formatVersion: 1,
    nodeId: NODE,
    nodeName: 'node-2',
    database: 'multi_business_db',
    createdAt: new Date(MADE_MS).toISOString(),
    schemaVersion: 'abc123',
    serverVersion: '17.10',
    dumpTool: 'pg_dump (PostgreSQL) 17.10',
    capture: {
      incarnation: 'f'.repeat(32),
      position: { xid: '812', seq: '0' },
      newestHlc: null,
      rows: 3,
      tombstones: 1,
    },
    peers: [{ nodeId: 'fedcba9876543210', cursor: { xid: '900', seq: '4' } }],
    dump: { bytes: dump.length, sha256: sha256(dump) },
    ...overrides,
  };
}

const file = (manifest = signManifest(unsigned(), KEY), body = dump) => encodeBackup(manifest, body);
const target = { nodeId: NODE, registrationKey: KEY, nowMs: MADE_MS + 60_000 };

describe('a backup file', () => {
  it('round-trips: the manifest and the dump come back byte for byte, and nothing is refused', () => {
    const parsed = parseBackup(file());
    expect(parsed.dump.equals(dump)).toBe(true);
    expect(parsed.manifest.nodeId).toBe(NODE);
    expect(refusals(parsed.manifest, target)).toEqual([]);
  });

  it('never carries the registration key, only a keyed fingerprint of it', () => {
    const text = file().toString('latin1');
    expect(text).not.toContain(KEY);
    expect(parseBackup(file()).manifest.clusterFingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses a file that is not a backup, naming what it expected', () => {
    expect(() => parseBackup(Buffer.from('PGDMP...'), 'x.dump')).toThrow(/x\.dump is not a Multi-Server Kit backup/);
    expect(() => parseBackup(Buffer.alloc(0))).toThrow(BackupFileError);
  });

  it('refuses a manifest that is not JSON, too long, or has a bad field (naming the field)', () => {
    expect(() => parseBackup(Buffer.from('MSK-BACKUP 1\n{nope\n'))).toThrow(/not valid JSON/);
    expect(() => parseBackup(Buffer.from('MSK-BACKUP 1\n' + 'x'.repeat(70_000)))).toThrow(/longer than/);
    const bad = { ...signManifest(unsigned(), KEY), nodeId: 'ZZZ' };
    expect(() => parseBackup(file(bad))).toThrow(/nodeId: must be a node ID/);
    const extra = { ...signManifest(unsigned(), KEY), password: 'x' } as never;
    expect(() => parseBackup(file(extra))).toThrow(/manifest is not valid/);
  });

  it('refuses a truncated, extended or changed dump', () => {
    const bytes = file();
    expect(() => parseBackup(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated or appended/);
    expect(() => parseBackup(Buffer.concat([bytes, Buffer.from('x')]))).toThrow(/truncated or appended/);
    const changed = Buffer.from(bytes);
    changed.writeUInt8(changed.readUInt8(changed.length - 3) ^ 0xff, changed.length - 3);
    expect(() => parseBackup(changed)).toThrow(/SHA-256 differs/);
  });

  it('refuses a changed manifest (the signature no longer matches), a backup of another cluster, another node', () => {
    const forged = { ...signManifest(unsigned(), KEY), createdAt: new Date(MADE_MS + 1000).toISOString() };
    expect(refusals(parseBackup(file(forged)).manifest, target)).toEqual([
      expect.stringMatching(/signature does not match/),
    ]);
    const otherCluster = signManifest(unsigned(), randomBytes(32).toString('hex'));
    expect(refusals(parseBackup(file(otherCluster)).manifest, target)).toEqual([
      expect.stringMatching(/another cluster/),
    ]);
    expect(refusals(parseBackup(file()).manifest, { ...target, nodeId: 'aaaaaaaaaaaaaaaa' })).toEqual([
      expect.stringMatching(/backup is of node 0123456789abcdef \(node-2\), this node is aaaaaaaaaaaaaaaa/),
    ]);
  });

  it('refuses a backup older than the tombstone retention minus the margin, unless told no other node survives', () => {
    const manifest = parseBackup(file()).manifest;
    expect(refusals(manifest, { ...target, nowMs: MADE_MS + MAX_BACKUP_AGE_MS - 1 })).toEqual([]);
    expect(refusals(manifest, { ...target, nowMs: MADE_MS + MAX_BACKUP_AGE_MS + 1 })).toEqual([
      expect.stringMatching(/6\.0 days old; the other nodes forget deletes after 7 days.*--allow-old-backup/),
    ]);
    expect(refusals(manifest, { ...target, nowMs: MADE_MS + MAX_BACKUP_AGE_MS + 1, allowOld: true })).toEqual([]);
    expect(refusals(manifest, { ...target, nowMs: MADE_MS - 3_600_000 })).toEqual([
      expect.stringMatching(/made in the future/),
    ]);
  });
});
