/**
 * The SQL that backup and restore run on a node's database (pure text; psql runs it). The names follow the sync
 * service's schema (replication/src/postgres/sql.ts): schema msk_sync, tables node, change_log, capture_log,
 * peer, the sequence position_seq and the apply lock 7262001.
 */

/** What the manifest says about the database, as one JSON line; run just before the dump. */
export const MANIFEST_FACTS_SQL = `
SELECT json_build_object(
  'hasSyncSchema', to_regclass('msk_sync.node') IS NOT NULL,
  'database', current_database(),
  'serverVersion', current_setting('server_version'),
  'serverMajor', current_setting('server_version_num')::int / 10000,
  'fence', pg_snapshot_xmin(pg_current_snapshot())::text
)`;

/** The replication facts (only when msk_sync exists). */
export const REPLICATION_FACTS_SQL = `
SELECT json_build_object(
  'nodeId', (SELECT node_id FROM msk_sync.node),
  'schemaVersion', (SELECT schema_version FROM msk_sync.node),
  'incarnation', (SELECT to_jsonb(n) ->> 'incarnation' FROM msk_sync.node n),
  'newestHlc', (SELECT max(max_hlc) FROM msk_sync.change_log),
  'rows', (SELECT count(*) FROM msk_sync.change_log),
  'tombstones', (SELECT count(*) FROM msk_sync.change_log WHERE deleted_hlc IS NOT NULL AND deleted_hlc = max_hlc),
  'peers', coalesce((SELECT json_agg(json_build_object('nodeId', node_id, 'cursor',
      CASE WHEN cursor_xid IS NULL THEN NULL ELSE json_build_object('xid', cursor_xid::text, 'seq', cursor_seq::text) END) ORDER BY node_id)
    FROM msk_sync.peer), '[]'::json)
)`;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Run on the maintenance database: the node's database goes, whoever is connected (the node's app and sync are stopped first). */
export function dropDatabaseSql(database: string): string {
  return `DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE);`;
}

/**
 * Run on the restored database, in one transaction, before the node's sync service starts again. Makes the
 * restored change log safe to replicate from and to:
 * - a new incarnation: every peer's cursor on this node came from the lost database; with the new incarnation in
 *   every answer, peers start over from the beginning of this log (and load a snapshot of it) instead of skipping;
 * - the log's positions move to this transaction: they were transaction ids of the lost database, which a new
 *   PostgreSQL does not reach for a long time (the entries would stay behind the xid fence);
 * - whatever the lost database had purged counts as purged before those positions;
 * - our cursors on peers and their acknowledgements go: the node loads a snapshot from a peer (a peer never sends
 *   a node its own changes back, and this node's writes since the backup now live only on its peers), and nothing
 *   is purged here until every peer has acknowledged this log anew.
 * Columns a backup of an earlier release lacks are added first (as the sync service would at start).
 */
export const PREPARE_RESTORED_LOG_SQL = `
BEGIN;
SELECT pg_advisory_xact_lock(7262001);
ALTER TABLE msk_sync.node ADD COLUMN IF NOT EXISTS incarnation text CHECK (incarnation ~ '^[0-9a-f]{32}$');
ALTER TABLE msk_sync.peer ADD COLUMN IF NOT EXISTS source_incarnation text;
CREATE TEMPORARY TABLE restore_base ON COMMIT DROP AS SELECT nextval('msk_sync.position_seq') AS base, pg_current_xact_id() AS xid;
UPDATE msk_sync.change_log l SET xid = b.xid, seq = b.base + o.n
  FROM (SELECT tbl, pk, row_number() OVER (ORDER BY xid, seq) AS n FROM msk_sync.change_log) o, restore_base b
  WHERE l.tbl = o.tbl AND l.pk = o.pk;
UPDATE msk_sync.capture_log SET xid = (SELECT xid FROM restore_base);
SELECT setval('msk_sync.position_seq', (SELECT base FROM restore_base) + (SELECT count(*) FROM msk_sync.change_log) + 1);
UPDATE msk_sync.node SET incarnation = md5(random()::text || clock_timestamp()::text),
  purged_up_to_xid = CASE WHEN purged_up_to_xid IS NULL THEN NULL ELSE (SELECT xid FROM restore_base) END,
  purged_up_to_seq = CASE WHEN purged_up_to_xid IS NULL THEN NULL ELSE (SELECT base FROM restore_base) END;
UPDATE msk_sync.peer SET cursor_xid = NULL, cursor_seq = NULL, acked_xid = NULL, acked_seq = NULL, source_incarnation = NULL,
  last_error = 'restored from a backup: loading a snapshot from a peer', last_error_at = now();
SELECT json_build_object('incarnation', incarnation, 'logRows', (SELECT count(*) FROM msk_sync.change_log), 'peers', (SELECT count(*) FROM msk_sync.peer)) FROM msk_sync.node;
COMMIT;
`;
