/**
 * SQL text for the PostgreSQL store: the msk_sync schema, per-table capture triggers, canonical value
 * expressions. Pure string building (unit-tested); install.ts and postgresStore.ts run it.
 */
import { NODE_ID_PATTERN } from '../core/hlc';
import type { ReplicatedTable } from '../core/tableSchema';

export const SYNC_SCHEMA = 'msk_sync';
/** Session setting that marks a transaction as "applying a peer's changes": capture triggers stand aside. */
export const ORIGIN_SETTING = 'msk.origin';
/**
 * NOTIFY channel raised by every transaction that changes a replicated table (the "poke"). Any role that can
 * connect may LISTEN and NOTIFY on it: its payload is never row data, at most a capture position (committedRows.ts).
 */
export const CHANGE_CHANNEL = 'msk_sync_changes';
/** Set for the rest of a transaction once capture NOTIFYed in it. */
export const NOTIFIED_SETTING = 'msk.notified';
/** SQLSTATE of an apply whose stored cursor was not the one this store last committed (see expect_cursor_moved). */
export const CURSOR_MOVED_SQLSTATE = 'MS001';
/** SQLSTATE of a fast path (apply or fold of new rows) meeting a row that is not new (see expect_fresh): the work goes the full way. */
export const NOT_FRESH_SQLSTATE = 'MS002';
/** pg_advisory_xact_lock key serializing applies on one database. */
export const APPLY_LOCK_KEY = 7_262_001;
/** Session advisory lock held by the one LISTEN connection that drives the notify gate (notifyGate.ts). */
export const NOTIFY_GATE_LOCK_KEY = 7_262_002;
/** 1: capture NOTIFYs after its writes; 0: the sync service is probing anyway, capture counts in UNNOTIFIED_WRITES instead. */
export const NOTIFY_GATE = `${SYNC_SCHEMA}.notify_gate`;
/** Counts writing statements that skipped the NOTIFY because the gate was closed. */
export const UNNOTIFIED_WRITES = `${SYNC_SCHEMA}.unnotified_writes`;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal that means the same whatever standard_conforming_strings is (a DATABASE_URL's `?options=` can
 * turn it off for the store's sessions, and the app's sessions run trigger code): with a backslash it is an E''
 * literal, backslashes doubled; without one, a plain literal.
 */
export function quoteLiteral(value: string): string {
  const quoted = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

/** Canonical text of a column, independent of the session's TimeZone/DateStyle (what replication carries). */
export function canonicalText(expression: string, type: string): string {
  const finite = (formatted: string) =>
    `CASE WHEN isfinite(${expression}) THEN ${formatted} ELSE ${expression}::text END`;
  if (/^timestamp(\(\d\))? with time zone$/.test(type)) {
    return finite(`to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
  }
  if (/^timestamp(\(\d\))?( without time zone)?$/.test(type))
    return finite(`to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`);
  if (type === 'date') return finite(`to_char(${expression}, 'YYYY-MM-DD')`);
  return `${expression}::text`;
}

/** jsonb object {column: canonical text} of a row reference (e.g. `NEW`, `t`); chunks stay under 100 arguments. */
export function canonicalJson(table: ReplicatedTable, rowReference: string): string {
  const chunks: string[] = [];
  for (let i = 0; i < table.columns.length; i += 40) {
    const args = table.columns
      .slice(i, i + 40)
      .map(
        (column) =>
          `${quoteLiteral(column.name)}, ${canonicalText(`${rowReference}.${quoteIdent(column.name)}`, column.type)}`,
      );
    chunks.push(`jsonb_build_object(${args.join(', ')})`);
  }
  return chunks.join(' || ');
}

/**
 * This node's wall clock in ms as the capture triggers read it: PostgreSQL's clock plus a constant offset (0 in
 * production; fault drills shift one node's clock with SYNC_CLOCK_OFFSET_MS). Baked into the trigger text at
 * install, so it costs nothing per row.
 */
export function wallMsSql(clockOffsetMs = 0): string {
  if (!Number.isSafeInteger(clockOffsetMs))
    throw new RangeError(`clock offset ${clockOffsetMs} is not a whole number of milliseconds`);
  const offset = clockOffsetMs === 0 ? '' : ` + (${clockOffsetMs})`;
  return `(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint${offset})`;
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
-- Made by the database setup (owned by role msk_sync) where the sync service runs least-privileged: CREATE SCHEMA
-- checks the database's CREATE privilege even when the schema exists.
DO $schema$ BEGIN IF to_regnamespace('${SYNC_SCHEMA}') IS NULL THEN CREATE SCHEMA ${SYNC_SCHEMA}; END IF; END $schema$;
COMMENT ON SCHEMA ${SYNC_SCHEMA} IS 'Multi-Server Kit replication: change log, peers, conflicts. Managed by the sync service.';
CREATE SEQUENCE IF NOT EXISTS ${SYNC_SCHEMA}.position_seq;
CREATE SEQUENCE IF NOT EXISTS ${NOTIFY_GATE} MINVALUE 0 MAXVALUE 1 START 1;
COMMENT ON SEQUENCE ${NOTIFY_GATE} IS 'A flag, not a counter (setval is not transactional, so every session sees it at once): 1 = capture NOTIFYs, 0 = the sync service is probing UNNOTIFIED_WRITES.';
CREATE SEQUENCE IF NOT EXISTS ${UNNOTIFIED_WRITES};
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.node (
  singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  node_id          text NOT NULL CHECK (node_id ~ '${NODE_ID_PATTERN.source}'),
  clock_floor_ms   bigint NOT NULL DEFAULT 0,
  purged_up_to_xid xid8,
  purged_up_to_seq bigint,
  schema_version   text NOT NULL,
  installed_at     timestamptz NOT NULL DEFAULT now()
);
-- The database's incarnation: cursors on this node belong to it; a restore from a backup makes a new one (msk restore).
ALTER TABLE ${SYNC_SCHEMA}.node ADD COLUMN IF NOT EXISTS incarnation text CHECK (incarnation ~ '^[0-9a-f]{32}$');
COMMENT ON COLUMN ${SYNC_SCHEMA}.node.clock_floor_ms IS 'HLC: newest wall time seen in an applied peer stamp (local stamps are kept above every stamp of their row when folded)';
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.replicated_table (
  name text PRIMARY KEY
);
-- the columns replicated at the last install: a migration's added and removed columns are found by comparison
ALTER TABLE ${SYNC_SCHEMA}.replicated_table ADD COLUMN IF NOT EXISTS columns text[];
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
-- The incarnation of the peer's database our cursor on it belongs to.
ALTER TABLE ${SYNC_SCHEMA}.peer ADD COLUMN IF NOT EXISTS source_incarnation text;
-- A joining node's initial load while it runs: set when its first page is applied, cleared when the load completes
-- or, after a restart in the middle, when the pulls from the source pass the fence (the node holds part of the data).
CREATE TABLE IF NOT EXISTS ${SYNC_SCHEMA}.initial_load (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  source_node_id text NOT NULL,
  fence          xid8 NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now()
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
DROP FUNCTION IF EXISTS ${SYNC_SCHEMA}.notify_change() CASCADE;
CREATE OR REPLACE FUNCTION ${SYNC_SCHEMA}.refuse_key_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'msk_sync: the primary key of replicated table % can''t change (row %)', TG_TABLE_NAME, to_jsonb(OLD) ->> TG_ARGV[0]
    USING HINT = 'insert a new row and delete the old one';
END
$fn$;
CREATE OR REPLACE FUNCTION ${SYNC_SCHEMA}.expect_cursor_moved(moved bigint, peer text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF moved <> 1 THEN
    RAISE EXCEPTION 'msk_sync: the stored cursor on peer % is not where this service last left it', peer
      USING ERRCODE = '${CURSOR_MOVED_SQLSTATE}',
            HINT = 'the database lost its last applies (a crash with asynchronous commit?) or another process moved it: pulling again from the stored cursor';
  END IF;
END
$fn$;
CREATE OR REPLACE FUNCTION ${SYNC_SCHEMA}.expect_fresh(what text, blockers bigint) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF blockers <> 0 THEN
    RAISE EXCEPTION 'msk_sync: % %', blockers, what
      USING ERRCODE = '${NOT_FRESH_SQLSTATE}', HINT = 'not an error: the work is done the full way instead';
  END IF;
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
 * The capture trigger function of one table, run once per STATEMENT (AFTER INSERT / UPDATE / DELETE, with the
 * statement's transition tables): one set-based INSERT appends to msk_sync.capture_log (a heap without index) a
 * row per written row — the operation, an HLC stamp (the statement's wall ms; the log sequence as counter; this
 * node's id), the columns an UPDATE changed, the values a DELETE removed — and, in notify mode, one NOTIFY.
 * Row-level triggers cost a PL/pgSQL call per row; this costs one per statement, so a 1000-row insert pays for
 * capture about once. The sync service folds the entries into change_log (captureFold.ts). The trigger does not
 * fire while the sync service applies a peer's batch (msk.origin set, see the WHEN clause in triggersSql): the
 * apply writes change_log itself with the true stamps.
 */
export function captureFunctionSql(
  table: ReplicatedTable,
  nodeId: string,
  clockOffsetMs = 0,
  notifyOnCommit = true,
): string {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new RangeError(`node id "${nodeId}" is not 16 lowercase hex characters`);
  const name = quoteLiteral(table.name);
  const node = quoteLiteral(nodeId);
  const pk = quoteIdent(table.primaryKey);
  const stamp = (position: string) =>
    `lpad(to_hex(wall), 12, '0') || lpad(to_hex(${position} % 4294967296), 8, '0') || ${node}`;
  const changedColumns = table.columns
    .filter((column) => column.name !== table.primaryKey)
    .map(
      (column) =>
        `CASE WHEN n.${quoteIdent(column.name)} IS DISTINCT FROM o.${quoteIdent(column.name)} THEN ${quoteLiteral(column.name)}::text END`,
    );
  const changed =
    changedColumns.length > 0 ? `array_remove(ARRAY[${changedColumns.join(', ')}], NULL)` : 'ARRAY[]::text[]';
  const changedByName =
    `ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped ` +
    `AND a.attgenerated = '' AND a.attname <> ${quoteLiteral(table.primaryKey)} ` +
    `AND (to_jsonb(n.*) -> a.attname::text) IS DISTINCT FROM (to_jsonb(o.*) -> a.attname::text) ORDER BY a.attnum)`;
  // The gate is read AFTER the capture insert took this transaction's xid: the sync service's gate protocol relies
  // on a statement that saw the gate closed having an xid older than the reopening (notifyGate.ts).
  // One NOTIFY per transaction (its first statement while the gate is open). A single-row INSERT puts its capture
  // position in it: a hint, never data. The sync service reads that entry and its row from the log and the table
  // under its own role, and pushes the row on at once, before the fold and the read (committedRows.ts).
  const notify = notifyOnCommit
    ? `
  IF written > 0 THEN
    IF (SELECT last_value FROM ${NOTIFY_GATE}) = 1 THEN
      IF coalesce(current_setting('${NOTIFIED_SETTING}', true), '') = '' THEN
        PERFORM pg_notify('${CHANGE_CHANNEL}', CASE WHEN TG_OP = 'INSERT' AND written = 1 THEN currval('${SYNC_SCHEMA}.position_seq')::text ELSE '' END);
        PERFORM set_config('${NOTIFIED_SETTING}', 'yes', true);
      END IF;
    ELSE PERFORM nextval('${UNNOTIFIED_WRITES}');
    END IF;
  END IF;`
    : '';
  return `
CREATE OR REPLACE FUNCTION ${captureFunctionName(table)}() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  wall bigint := ${wallMsSql(clockOffsetMs)};
  written bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${SYNC_SCHEMA}.capture_log (xid, seq, tbl, pk, op, hlc)
    SELECT pg_current_xact_id(), x.position, ${name}, x.pk, 'I', ${stamp('x.position')}
    FROM (SELECT n.${pk} AS pk, nextval('${SYNC_SCHEMA}.position_seq') AS position FROM new_rows n) x;
  ELSIF TG_OP = 'UPDATE' THEN
    -- The columns were read at install; a migration may have added some since (until the sync service notices and
    -- installs again): then the changed columns are found by name, so no write of a new column goes uncaptured.
    IF (SELECT count(*) FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped AND attgenerated = '') = ${table.columns.length} THEN
      INSERT INTO ${SYNC_SCHEMA}.capture_log (xid, seq, tbl, pk, op, hlc, changed)
      SELECT pg_current_xact_id(), x.position, ${name}, x.pk, 'U', ${stamp('x.position')}, x.changed
      FROM (SELECT c.pk, c.changed, nextval('${SYNC_SCHEMA}.position_seq') AS position
            FROM (SELECT n.${pk} AS pk, ${changed} AS changed FROM new_rows n JOIN old_rows o ON o.${pk} = n.${pk}) c
            WHERE cardinality(c.changed) > 0) x;
    ELSE
      INSERT INTO ${SYNC_SCHEMA}.capture_log (xid, seq, tbl, pk, op, hlc, changed)
      SELECT pg_current_xact_id(), x.position, ${name}, x.pk, 'U', ${stamp('x.position')}, x.changed
      FROM (SELECT c.pk, c.changed, nextval('${SYNC_SCHEMA}.position_seq') AS position
            FROM (SELECT n.${pk} AS pk, ${changedByName} AS changed FROM new_rows n JOIN old_rows o ON o.${pk} = n.${pk}) c
            WHERE cardinality(c.changed) > 0) x;
    END IF;
  ELSE
    INSERT INTO ${SYNC_SCHEMA}.capture_log (xid, seq, tbl, pk, op, hlc, stash)
    SELECT pg_current_xact_id(), x.position, ${name}, x.pk, 'D', ${stamp('x.position')}, x.stash
    FROM (SELECT o.${pk} AS pk, ${canonicalJson(table, 'o')} AS stash, nextval('${SYNC_SCHEMA}.position_seq') AS position FROM old_rows o) x;
  END IF;
  GET DIAGNOSTICS written = ROW_COUNT;${notify}
  RETURN NULL;
END
$fn$;`;
}

/** Capture does not fire while the sync service applies a peer's batch (it sets msk.origin for its transaction). */
export const NOT_APPLYING = `coalesce(current_setting('${ORIGIN_SETTING}', true), '') = ''`;

/** Names of the triggers install puts on a replicated table (and of those earlier versions put there). */
export const CAPTURE_TRIGGERS = [
  'msk_sync_capture_insert',
  'msk_sync_capture_update',
  'msk_sync_capture_delete',
  'msk_sync_key_guard',
  'msk_sync_refuse_truncate',
] as const;
const RETIRED_TRIGGERS = ['msk_sync_capture', 'msk_sync_notify'] as const;

/** Drops capture from a table; DROP TRIGGER needs the table's owner (uninstall, a table leaving replication). */
export function dropTriggersSql(table: Pick<ReplicatedTable, 'name'>): string {
  return [...CAPTURE_TRIGGERS, ...RETIRED_TRIGGERS]
    .map((trigger) => `DROP TRIGGER IF EXISTS ${trigger} ON public.${quoteIdent(table.name)};`)
    .join('\n');
}

/**
 * Statement-level capture (one trigger per event: PostgreSQL allows transition tables only on single-event
 * triggers) and a row-level guard that only runs its function when an UPDATE really changes the primary key.
 */
export function triggersSql(table: ReplicatedTable): string {
  const target = qualified(table);
  const capture = captureFunctionName(table);
  const pk = quoteIdent(table.primaryKey);
  // CREATE OR REPLACE (PostgreSQL 14+) needs only the TRIGGER privilege, which the sync service's role has on the
  // app's tables; DROP TRIGGER would need the table's owner. A retired trigger is dropped only where it exists.
  return `
${RETIRED_TRIGGERS.map((trigger) => `DROP TRIGGER IF EXISTS ${trigger} ON ${target};`).join('\n')}
CREATE OR REPLACE TRIGGER msk_sync_capture_insert AFTER INSERT ON ${target} REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT WHEN (${NOT_APPLYING}) EXECUTE FUNCTION ${capture}();
CREATE OR REPLACE TRIGGER msk_sync_capture_update AFTER UPDATE ON ${target} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT WHEN (${NOT_APPLYING}) EXECUTE FUNCTION ${capture}();
CREATE OR REPLACE TRIGGER msk_sync_capture_delete AFTER DELETE ON ${target} REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT WHEN (${NOT_APPLYING}) EXECUTE FUNCTION ${capture}();
CREATE OR REPLACE TRIGGER msk_sync_key_guard BEFORE UPDATE OF ${pk} ON ${target}
  FOR EACH ROW WHEN (OLD.${pk} IS DISTINCT FROM NEW.${pk}) EXECUTE FUNCTION ${SYNC_SCHEMA}.refuse_key_change(${quoteLiteral(table.primaryKey)});
CREATE OR REPLACE TRIGGER msk_sync_refuse_truncate BEFORE TRUNCATE ON ${target}
  FOR EACH STATEMENT EXECUTE FUNCTION ${SYNC_SCHEMA}.refuse_truncate();`;
}

/** Log entries for rows that existed before capture was installed (or while it was off), stamped now. */
export function backfillSql(table: ReplicatedTable, nodeId: string, clockOffsetMs = 0): string {
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
  SELECT lpad(to_hex(${wallMsSql(clockOffsetMs)}), 12, '0')
         || lpad(to_hex(x.position % 4294967296), 8, '0') || ${node} AS stamp
) s`;
}
