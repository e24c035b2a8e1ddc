/**
 * SQL text for the PostgreSQL store: the msk_sync schema, per-table capture triggers, canonical value
 * expressions. Pure string building (unit-tested); install.ts and postgresStore.ts run it.
 */
import { NODE_ID_PATTERN } from '../core/hlc';
import type { ReplicatedTable } from '../core/tableSchema';

export const SYNC_SCHEMA = 'msk_sync';
/** Session setting that marks a transaction as "applying a peer's changes": capture triggers stand aside. */
export const ORIGIN_SETTING = 'msk.origin';
/** NOTIFY channel raised by every statement that changes a replicated table (the "poke"). */
export const CHANGE_CHANNEL = 'msk_sync_changes';
/** pg_advisory_xact_lock key serializing applies on one database. */
export const APPLY_LOCK_KEY = 7_262_001;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Canonical text of a column, independent of the session's TimeZone/DateStyle (what replication carries). */
export function canonicalText(expression: string, type: string): string {
  const finite = (formatted: string) => `CASE WHEN isfinite(${expression}) THEN ${formatted} ELSE ${expression}::text END`;
  if (/^timestamp(\(\d\))? with time zone$/.test(type)) {
    return finite(`to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
  }
  if (/^timestamp(\(\d\))?( without time zone)?$/.test(type)) return finite(`to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`);
  if (type === 'date') return finite(`to_char(${expression}, 'YYYY-MM-DD')`);
  return `${expression}::text`;
}

/** jsonb object {column: canonical text} of a row reference (e.g. `NEW`, `t`); chunks stay under 100 arguments. */
export function canonicalJson(table: ReplicatedTable, rowReference: string): string {
  const chunks: string[] = [];
  for (let i = 0; i < table.columns.length; i += 40) {
    const args = table.columns
      .slice(i, i + 40)
      .map((column) => `${quoteLiteral(column.name)}, ${canonicalText(`${rowReference}.${quoteIdent(column.name)}`, column.type)}`);
    chunks.push(`jsonb_build_object(${args.join(', ')})`);
  }
  return chunks.join(' || ');
}

export function qualified(table: ReplicatedTable): string {
  return `public.${quoteIdent(table.name)}`;
}

export function captureFunctionName(table: ReplicatedTable): string {
  return `${SYNC_SCHEMA}.${quoteIdent(`capture__${table.name}`)}`;
}

/** The schema, idempotent. */
export function schemaSql(): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${SYNC_SCHEMA};
COMMENT ON SCHEMA ${SYNC_SCHEMA} IS 'Multi-Server Kit replication: change log, peers, conflicts. Managed by the sync service.';
CREATE SEQUENCE IF NOT EXISTS ${SYNC_SCHEMA}.position_seq;
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.node (
  singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  node_id          text NOT NULL CHECK (node_id ~ '^[0-9a-f]{16}$'),
  clock_floor_ms   bigint NOT NULL DEFAULT 0,
  purged_up_to_xid xid8,
  purged_up_to_seq bigint,
  schema_version   text NOT NULL,
  installed_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN ${SYNC_SCHEMA}.node.clock_floor_ms IS 'HLC: newest wall time seen in an applied peer stamp (local stamps are kept above every stamp of their row when folded)';
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.replicated_table (
  name text PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.change_log (
  tbl            text COLLATE "C" NOT NULL,
  pk             uuid NOT NULL,
  hlc            text COLLATE "C" NOT NULL,
  column_hlcs    jsonb,
  max_hlc        text COLLATE "C" NOT NULL,
  deleted_hlc    text COLLATE "C",
  stash          jsonb,
  pending_parent uuid,
  origin         text COLLATE "C" NOT NULL,
  xid            xid8 NOT NULL,
  seq            bigint NOT NULL,
  PRIMARY KEY (tbl, pk)
);
COMMENT ON TABLE ${SYNC_SCHEMA}.change_log IS 'One entry per replicated row: its replicated state (column stamps, tombstone) at the log position (xid, seq) of its last change. Read behind the xid fence.';
CREATE INDEX IF NOT EXISTS change_log_position ON ${SYNC_SCHEMA}.change_log (xid, seq);
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.capture_log (
  xid     xid8 NOT NULL,
  seq     bigint NOT NULL,
  tbl     text COLLATE "C" NOT NULL,
  pk      uuid NOT NULL,
  op      "char" NOT NULL CHECK (op IN ('I', 'U', 'D')),
  hlc     text COLLATE "C" NOT NULL,
  changed text[],
  stash   jsonb
);
COMMENT ON TABLE ${SYNC_SCHEMA}.capture_log IS 'Local writes as the capture triggers append them (no index: cheap for the writer). The sync service folds and deletes them into change_log.';
ALTER TABLE ${SYNC_SCHEMA}.capture_log SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000);
-- fresh statistics keep pulls on the position index while the log grows fast
ALTER TABLE ${SYNC_SCHEMA}.change_log SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
CREATE INDEX IF NOT EXISTS change_log_pending ON ${SYNC_SCHEMA}.change_log (pending_parent) WHERE pending_parent IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.peer (
  node_id            text PRIMARY KEY,
  cursor_xid         xid8,
  cursor_seq         bigint,
  acked_xid          xid8,
  acked_seq          bigint,
  last_applied_at    timestamptz,
  applied_changes    bigint NOT NULL DEFAULT 0,
  conflicts_resolved bigint NOT NULL DEFAULT 0,
  errors             bigint NOT NULL DEFAULT 0,
  last_error         text,
  last_error_at      timestamptz
);
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.conflict (
  id              bigserial PRIMARY KEY,
  tbl             text NOT NULL,
  constraint_name text NOT NULL,
  winner_pk       uuid NOT NULL,
  loser_pk        uuid NOT NULL,
  renamed_column  text NOT NULL,
  renamed_to      text NOT NULL,
  from_peer       text NOT NULL,
  detected_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tbl, constraint_name, loser_pk, renamed_to)
);
CREATE OR REPLACE FUNCTION ${SYNC_SCHEMA}.notify_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('${CHANGE_CHANNEL}', '');
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE FUNCTION ${SYNC_SCHEMA}.refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'msk_sync: TRUNCATE of replicated table % is not replicated', TG_TABLE_NAME
    USING HINT = 'use DELETE (replicated to every node), or drop the sync triggers first';
END
$fn$;
`;
}

/**
 * The capture trigger function of one table (row level, AFTER INSERT/UPDATE/DELETE). It only APPENDS to
 * msk_sync.capture_log (a heap without index): the operation, an HLC stamp (wall ms; the log sequence as counter;
 * this node's id), the columns an UPDATE changed, the values a DELETE removed. The sync service folds the entries
 * into change_log (captureFold.ts). The trigger does not fire while the sync service applies a peer's batch
 * (msk.origin set, see the WHEN clause in triggersSql): the apply writes change_log itself with the true stamps.
 */
export function captureFunctionSql(table: ReplicatedTable, nodeId: string): string {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new RangeError(`node id "${nodeId}" is not 16 lowercase hex characters`);
  const name = quoteLiteral(table.name);
  const node = quoteLiteral(nodeId);
  const pk = quoteIdent(table.primaryKey);
  const changedColumns = table.columns
    .filter((column) => column.name !== table.primaryKey)
    .map(
      (column) =>
        `    IF NEW.${quoteIdent(column.name)} IS DISTINCT FROM OLD.${quoteIdent(column.name)} THEN changed := changed || ${quoteLiteral(column.name)}::text; END IF;`,
    )
    .join('\n');
  return `
CREATE OR REPLACE FUNCTION ${captureFunctionName(table)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  position bigint := nextval('${SYNC_SCHEMA}.position_seq');
  stamp text := lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
                || lpad(to_hex(position % 4294967296), 8, '0') || ${node};
  changed text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${SYNC_SCHEMA}.capture_log VALUES (pg_current_xact_id(), position, ${name}, NEW.${pk}, 'I', stamp, NULL, NULL);
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.${pk} IS DISTINCT FROM OLD.${pk} THEN
      RAISE EXCEPTION 'msk_sync: the primary key of replicated table % can''t change (row %)', TG_TABLE_NAME, OLD.${pk}
        USING HINT = 'insert a new row and delete the old one';
    END IF;
    changed := ARRAY[]::text[];
${changedColumns}
    IF cardinality(changed) > 0 THEN
      INSERT INTO ${SYNC_SCHEMA}.capture_log VALUES (pg_current_xact_id(), position, ${name}, NEW.${pk}, 'U', stamp, changed, NULL);
    END IF;
  ELSE
    INSERT INTO ${SYNC_SCHEMA}.capture_log
    VALUES (pg_current_xact_id(), position, ${name}, OLD.${pk}, 'D', stamp, NULL, ${canonicalJson(table, 'OLD')});
  END IF;
  RETURN NULL;
END
$fn$;`;
}

/** Capture does not fire while the sync service applies a peer's batch (it sets msk.origin for its transaction). */
export const NOT_APPLYING = `coalesce(current_setting('${ORIGIN_SETTING}', true), '') = ''`;

export function triggersSql(table: ReplicatedTable, notifyOnCommit = true): string {
  const target = qualified(table);
  const notify = notifyOnCommit
    ? `CREATE TRIGGER msk_sync_notify AFTER INSERT OR UPDATE OR DELETE ON ${target}
  FOR EACH STATEMENT EXECUTE FUNCTION ${SYNC_SCHEMA}.notify_change();`
    : '';
  return `
DROP TRIGGER IF EXISTS msk_sync_capture ON ${target};
CREATE TRIGGER msk_sync_capture AFTER INSERT OR UPDATE OR DELETE ON ${target}
  FOR EACH ROW WHEN (${NOT_APPLYING}) EXECUTE FUNCTION ${captureFunctionName(table)}();
DROP TRIGGER IF EXISTS msk_sync_notify ON ${target};
${notify}
DROP TRIGGER IF EXISTS msk_sync_refuse_truncate ON ${target};
CREATE TRIGGER msk_sync_refuse_truncate BEFORE TRUNCATE ON ${target}
  FOR EACH STATEMENT EXECUTE FUNCTION ${SYNC_SCHEMA}.refuse_truncate();`;
}

/** Log entries for rows that existed before capture was installed (or while it was off), stamped now. */
export function backfillSql(table: ReplicatedTable, nodeId: string): string {
  const pk = quoteIdent(table.primaryKey);
  const node = quoteLiteral(nodeId);
  return `
INSERT INTO ${SYNC_SCHEMA}.change_log (tbl, pk, hlc, max_hlc, origin, xid, seq)
SELECT ${quoteLiteral(table.name)}, x.pk, s.stamp, s.stamp, ${node}, pg_current_xact_id(), x.position
FROM (
  SELECT t.${pk} AS pk, nextval('${SYNC_SCHEMA}.position_seq') AS position
  FROM ${qualified(table)} t
  WHERE NOT EXISTS (SELECT 1 FROM ${SYNC_SCHEMA}.change_log l WHERE l.tbl = ${quoteLiteral(table.name)} AND l.pk = t.${pk})
    AND NOT EXISTS (SELECT 1 FROM ${SYNC_SCHEMA}.capture_log c WHERE c.tbl = ${quoteLiteral(table.name)} AND c.pk = t.${pk})
) x
CROSS JOIN LATERAL (
  SELECT lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
         || lpad(to_hex(x.position % 4294967296), 8, '0') || ${node} AS stamp
) s`;
}
