/**
 * SQL the PostgreSQL store sends, built from the replicated tables: the fold of captured writes, the apply's row
 * locks, the change-log writes, and parameters written in as literals. Pure string building (unit-tested);
 * postgresStore.ts runs it.
 */
import type { ReplicatedTable } from '../core/tableSchema';
import type { ColumnValue } from '../core/rowState';
import { SYNC_SCHEMA, canonicalJson, qualified, quoteIdent, quoteLiteral } from './sql';

const LOG = `${SYNC_SCHEMA}.change_log`;

/** How the apply finds rows to lock: by key, by a foreign-key column, or by a unique key's values. */
export type LockKind = 'pk' | `fk:${string}` | `unique:${string}`;

export interface LockQuery {
  /** Prepared statement names. */
  readonly data: string;
  readonly states: string;
  readonly paramType: 'uuid[]' | 'text[]';
  readonly dataSql: string;
  readonly statesSql: string;
}

export function lockKey(table: ReplicatedTable, kind: LockKind): string {
  return `${table.name}\u0000${kind}`;
}

/**
 * For each table and way of finding rows: lock the matching rows and read their values (in canonical text), and
 * read the replicated states of those rows plus extra keys ($2). $1 is the keys or values to match. The states
 * are found by one `pk = ANY(array)` (an index scan in any plan; an OR of two conditions was a scan of the
 * table's whole log once the statement's plan became generic).
 */
export function lockQueriesOf(tables: readonly ReplicatedTable[]): Map<string, LockQuery> {
  const queries = new Map<string, LockQuery>();
  tables.forEach((table, tableIndex) => {
    const pk = quoteIdent(table.primaryKey);
    const kinds: [LockKind, string, LockQuery['paramType']][] = [
      ['pk', `d.${pk} = ANY($1)`, 'uuid[]'],
      ...table.foreignKeys.map((fk): [LockKind, string, LockQuery['paramType']] => [
        `fk:${fk.column}`,
        `d.${quoteIdent(fk.column)} = ANY($1)`,
        'uuid[]',
      ]),
      ...table.uniqueKeys.map((key): [LockKind, string, LockQuery['paramType']] => {
        if (key.columns.length === 1) {
          const column = table.columns.find((c) => c.name === key.columns[0])!;
          return [`unique:${key.name}`, `d.${quoteIdent(column.name)} = ANY($1::${column.type}[])`, 'text[]'];
        }
        return [
          `unique:${key.name}`,
          `concat_ws(E'\\x1f', ${key.columns.map((c) => `d.${quoteIdent(c)}::text`).join(', ')}) = ANY($1)`,
          'text[]',
        ];
      }),
    ];
    kinds.forEach(([kind, where, paramType], kindIndex) => {
      queries.set(lockKey(table, kind), {
        data: `msk_lock_${tableIndex}_${kindIndex}`,
        states: `msk_states_${tableIndex}_${kindIndex}`,
        paramType,
        dataSql: `SELECT d.${pk}::text AS pk, ${canonicalJson(table, 'd')} AS v FROM ${qualified(table)} d WHERE ${where} ORDER BY d.${pk} FOR UPDATE`,
        statesSql: `SELECT pk::text AS pk, hlc, column_hlcs, deleted_hlc, stash, origin, pending_parent::text AS pending_parent
          FROM ${LOG} WHERE tbl = ${quoteLiteral(table.name)} AND pk = ANY(ARRAY(SELECT d.${pk} FROM ${qualified(table)} d WHERE ${where}) || $2)
          ORDER BY pk`,
      });
    });
  });
  return queries;
}

/** How store queries run the fold: a statement prepared once per connection (see `connect`). */
export const FOLD_STATEMENT = 'EXECUTE msk_fold';
/** The fold when only new rows are expected: it raises NOT_FRESH_SQLSTATE, folding nothing, if any entry needs
 * foldCaptured, so a pull can send it, COMMIT and its read in one round trip. */
export const FRESH_FOLD_STATEMENT = 'EXECUTE msk_fold_fresh';

/**
 * Takes every committed capture entry (entries of open transactions stay for the next fold). The common case —
 * the one entry of a row inserted and never recorded before — is folded right here in SQL (its state is just its
 * stamp raised to the clock floor, as foldCaptured would make it), so a bulk insert's rows never travel to the
 * sync service and back. Every other entry is returned with its row's state and the clock floor, for
 * foldCaptured. Runs under the apply lock, the only writer of change_log. Data-modifying CTEs see one snapshot:
 * the `fresh` insert and the final SELECT agree on which entries are fresh.
 */
export function foldSql(nodeId: string, tableNames: readonly string[], only: 'all' | 'fresh' = 'all'): string {
  const wallMs = `('x' || lpad(left(t.hlc, 12), 16, '0'))::bit(64)::bigint`;
  // `classified` joins every entry to its row's state ONCE (a CTE is computed once): an anti-join inside the
  // insert would be planned from the change log's statistics, which say "empty" right after a bulk load.
  return `
  WITH taken AS (DELETE FROM ${SYNC_SCHEMA}.capture_log RETURNING *),
  counted AS (SELECT c.*, count(*) OVER (PARTITION BY c.tbl, c.pk) AS entries FROM taken c),
  classified AS (
    SELECT t.*, l.hlc AS state_hlc, l.column_hlcs AS state_column_hlcs, l.max_hlc AS state_max_hlc,
           l.deleted_hlc AS state_deleted_hlc, l.stash AS state_stash, l.pending_parent::text AS state_pending_parent,
           (t.entries = 1 AND t.op = 'I' AND l.pk IS NULL AND t.tbl = ANY(ARRAY[${tableNames.map(quoteLiteral).join(', ')}]::text[])) AS fresh
    FROM counted t LEFT JOIN ${LOG} l ON l.tbl = t.tbl AND l.pk = t.pk),
  floor AS (SELECT clock_floor_ms AS ms FROM ${SYNC_SCHEMA}.node),
  folded AS (
    INSERT INTO ${LOG} (tbl, pk, hlc, max_hlc, origin, xid, seq)
    SELECT t.tbl, t.pk, s.hlc, s.hlc, ${quoteLiteral(nodeId)}, pg_current_xact_id(), nextval('${SYNC_SCHEMA}.position_seq')
    FROM classified t CROSS JOIN floor f
    CROSS JOIN LATERAL (SELECT CASE WHEN ${wallMs} >= f.ms THEN t.hlc ELSE lpad(to_hex(f.ms), 12, '0') || substr(t.hlc, 13) END AS hlc) s
    WHERE t.fresh
    RETURNING 1)
  ${
    only === 'fresh'
      ? `SELECT (SELECT count(*) FROM taken)::int AS taken_count,
         ${SYNC_SCHEMA}.expect_fresh('captured writes that are not new rows', (SELECT count(*) FROM classified WHERE NOT fresh)) AS fresh`
      : `SELECT (SELECT count(*) FROM taken)::int AS taken_count, (SELECT ms::text FROM floor) AS floor_ms, rest.*
  FROM (SELECT 1) one LEFT JOIN LATERAL (
    SELECT t.tbl, t.pk::text AS pk, t.op, t.hlc, t.changed, t.stash, t.seq::text AS seq, t.state_hlc, t.state_column_hlcs,
           t.state_max_hlc, t.state_deleted_hlc, t.state_stash, t.state_pending_parent
    FROM classified t WHERE NOT t.fresh) rest ON true`
  }`;
}

export interface StateRecord {
  tbl: string;
  pk: string;
  hlc: string;
  column_hlcs: Record<string, string> | null;
  max_hlc: string;
  deleted_hlc: string | null;
  stash: Record<string, ColumnValue> | null;
  pending_parent: string | null;
  origin: string;
}

/** A statement with its parameters ($1, $2, … in the text). */
export interface Sql {
  readonly text: string;
  readonly params: readonly unknown[];
}

/**
 * Batches of at most this many changes are applied in one round trip for all their writes, cursor and COMMIT,
 * with the parameters written into the SQL as literals. Larger ones send typed-array parameters statement by
 * statement: measured on 5,000-row upserts, arrays as parameters cost PostgreSQL ~30% less CPU than the same
 * data as literals or JSON, which outweighs a few round trips.
 */
export const INLINE_APPLY_MAX_CHANGES = 200;

/** One element of a PostgreSQL array literal. */
function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A parameter as a SQL literal (the same whatever standard_conforming_strings is: quoteLiteral). */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return quoteLiteral(`{${value.map(arrayElement).join(',')}}`);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return quoteLiteral(String(value));
}

/** The statement with its parameters written in as literals (every use of $n carries its own cast). */
export function inline(sql: Sql): string {
  return sql.text.replace(/\$(\d+)/g, (_, index: string) => literal(sql.params[Number(index) - 1]));
}

/** Column arrays (unnest) rather than one JSON document: cheaper for PostgreSQL to take apart. */
const WRITE_STATES_SQL = `
  INSERT INTO ${LOG} AS l (tbl, pk, hlc, column_hlcs, max_hlc, deleted_hlc, stash, pending_parent, origin, xid, seq)
  SELECT r.tbl, r.pk, r.hlc, r.column_hlcs, r.max_hlc, r.deleted_hlc, r.stash, r.pending_parent, r.origin,
         pg_current_xact_id(), nextval('${SYNC_SCHEMA}.position_seq')
  FROM unnest($1::text[], $2::uuid[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::jsonb[], $8::uuid[], $9::text[])
       AS r(tbl, pk, hlc, column_hlcs, max_hlc, deleted_hlc, stash, pending_parent, origin)
  ON CONFLICT (tbl, pk) DO UPDATE SET hlc = excluded.hlc, column_hlcs = excluded.column_hlcs,
    max_hlc = excluded.max_hlc, deleted_hlc = excluded.deleted_hlc, stash = excluded.stash,
    pending_parent = excluded.pending_parent, origin = excluded.origin, xid = excluded.xid, seq = excluded.seq`;

/** A row new to this node as the apply's fast path takes it: every column stamped alike, no tombstone. */
export interface FreshRow {
  readonly pk: string;
  readonly origin: string;
  readonly hlc: string;
  readonly values: Readonly<Record<string, ColumnValue>>;
}

/**
 * The apply's fast path for rows this node has never seen (the bulk of any load): insert them and their states in
 * one statement, without locking, reading and merging in the service. It is only right when every row is new
 * here, and the statement fails otherwise: a row already there (even a local insert not folded yet) or a unique
 * value taken raises 23505 from the table, a replicated state (even a tombstone) 23505 from the change log, a
 * missing parent 23503, and a local write waiting in the capture log or a child waiting for the row as its
 * pending parent make expect_fresh raise NOT_FRESH_SQLSTATE. The transaction is rolled back and the batch goes
 * through the full merge. Plain inserts: ON CONFLICT's speculative insertion costs more per row. The text is the
 * same for every batch of the table (prepared once per connection). The children test probes the partial index
 * change_log_pending with the batch's keys (= ANY of an array): as a join it was planned as a sort of the whole
 * change log whenever its statistics lagged a load, a cost per batch growing with the log.
 */
export function freshInsertText(table: ReplicatedTable): string {
  const pk = quoteIdent(table.primaryKey);
  const name = quoteLiteral(table.name);
  const columns = table.columns.map((column) => quoteIdent(column.name));
  // "msk.hlc" can't collide with a column: replicated column names are plain lowercase identifiers
  const arrays = [
    ...table.columns.map((column, index) => `$${index + 1}::${column.type}[]`),
    `$${columns.length + 1}::text[]`,
    `$${columns.length + 2}::text[]`,
  ];
  return `WITH r AS (SELECT * FROM unnest(${arrays.join(', ')}) AS u(${columns.join(', ')}, "msk.hlc", "msk.origin")),
  ins AS (INSERT INTO ${qualified(table)} (${columns.join(', ')}) SELECT ${columns.map((column) => `r.${column}`).join(', ')} FROM r),
  logged AS (
    INSERT INTO ${LOG} (tbl, pk, hlc, max_hlc, origin, xid, seq)
    SELECT ${name}, r.${pk}, r."msk.hlc", r."msk.hlc", r."msk.origin", pg_current_xact_id(), nextval('${SYNC_SCHEMA}.position_seq') FROM r)
  SELECT ${SYNC_SCHEMA}.expect_fresh(${quoteLiteral(`rows of ${table.name} with local writes or children waiting for them`)},
    (SELECT count(*) FROM ${SYNC_SCHEMA}.capture_log c JOIN r ON c.tbl = ${name} AND c.pk = r.${pk})
    + (SELECT count(*) FROM ${LOG} l WHERE l.pending_parent IS NOT NULL AND l.pending_parent = ANY(ARRAY(SELECT r.${pk} FROM r))))`;
}

/** The parameter types of freshInsertText, for PREPARE. */
export function freshInsertParamTypes(table: ReplicatedTable): string {
  return [...table.columns.map((column) => `${column.type}[]`), 'text[]', 'text[]'].join(', ');
}

/** freshInsertText's parameters: one array per column, then the rows' stamps and origins. */
export function freshInsertParams(table: ReplicatedTable, rows: readonly FreshRow[]): unknown[] {
  return [
    ...table.columns.map((column) => rows.map((row) => row.values[column.name] ?? null)),
    rows.map((row) => row.hlc),
    rows.map((row) => row.origin),
  ];
}

export function writeStatesSql(records: readonly StateRecord[]): Sql {
  const json = (value: object | null) => (value === null ? null : JSON.stringify(value));
  return {
    text: WRITE_STATES_SQL,
    params: [
      records.map((r) => r.tbl),
      records.map((r) => r.pk),
      records.map((r) => r.hlc),
      records.map((r) => json(r.column_hlcs)),
      records.map((r) => r.max_hlc),
      records.map((r) => r.deleted_hlc),
      records.map((r) => json(r.stash)),
      records.map((r) => r.pending_parent),
      records.map((r) => r.origin),
    ],
  };
}
