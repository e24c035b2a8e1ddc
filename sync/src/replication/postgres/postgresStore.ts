/**
 * The PostgreSQL replication store: capture triggers write the change log (installed by install.ts), the log is
 * read behind the xid fence, a peer's batch is applied in ONE transaction with our cursor on that peer, with the
 * origin set in a session setting so capture stands aside and the state is recorded with its true origin.
 * Merge, materialization and conflict decisions come from the shared planner (store/applyPlanner.ts).
 */
import { Client, Pool } from 'pg';
import type { ClientBase, PoolClient, PoolConfig } from 'pg';
import { NODE_ID_PATTERN, hlcWallMs } from '../core/hlc';
import type { ChangeBatch, Cursor, ReloadRequired, RowChange, Snapshot, ValidChange } from '../core/protocol';
import { PROTOCOL_VERSION, compareCursors, cursorSchema, sameCursor, validateChanges } from '../core/protocol';
import type { ColumnValue } from '../core/rowState';
import { compactVersions, expandVersions, newestHlc } from '../core/rowState';
import type { ReplicatedTable, UniqueKey } from '../core/tableSchema';
import { columnNames, orderTablesByDependency, schemaVersionOf } from '../core/tableSchema';
import { peerSchemaGate } from '../store/peerSchemaGate';
import type { ApplyPlan, LocalRow, LocalView } from '../store/applyPlanner';
import { planApply } from '../store/applyPlanner';
import type { CaptureEntry, StoredState } from '../store/captureFold';
import { foldCaptured } from '../store/captureFold';
import type {
  ApplyOutcome,
  ChangeListener,
  PeerProgress,
  PurgeOutcome,
  PurgeRequest,
  ReadChangesRequest,
  ReplicationStore,
} from '../store/replicationStore';
import { MAX_COUNTED_LAG_CHANGES } from '../store/replicationStore';
import { RowsAheadOfCursor } from '../store/rowsAheadOfCursor';
import type { InstallResult } from './install';
import { installReplication } from './install';
import { ROWS_AHEAD_MAX_POSITIONS, RowsAheadReads, notifiedPosition } from './committedRows';
import { NotifyGate } from './notifyGate';
import { APPLY_LOCK_KEY, CHANGE_CHANNEL, CURSOR_MOVED_SQLSTATE, NOT_FRESH_SQLSTATE, NOTIFY_GATE_LOCK_KEY, ORIGIN_SETTING, SYNC_SCHEMA, canonicalText, qualified, quoteIdent, quoteLiteral } from './sql';
import type { FreshRow, LockKind, LockQuery, Sql, StateRecord } from './storeStatements';
import { FOLD_STATEMENT, FRESH_FOLD_STATEMENT, INLINE_APPLY_MAX_CHANGES, foldSql, freshInsertParamTypes, freshInsertParams, freshInsertText, inline, literal, lockKey, lockQueriesOf, writeStatesSql } from './storeStatements';

const LOG = `${SYNC_SCHEMA}.change_log`;
/** States planned and written per step inside one apply transaction (bounds query parameter sizes). */
export const APPLY_CHUNK_CHANGES = 5000;
/** Attempts of one apply when PostgreSQL reports a transient conflict with local writers (deadlock, a key
 * taken meanwhile). */
export const MAX_APPLY_ATTEMPTS = 4;
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505', '23503']);
/** The apply's fast path met a row that is not new here (freshInsertText): unique violation, missing parent, or a blocker. */
const FRESH_PATH_MISSES = new Set([NOT_FRESH_SQLSTATE, '23505', '23503']);
/** Delay before the LISTEN connection is opened again after it broke. */
export const LISTEN_RECONNECT_DELAY_MS = 1000;
/** A LISTEN connection that found the notify gate driven by another reconnects after this long, to try again. */
export const GATE_FOLLOWER_RETRY_MS = 30_000;
/** The capture log is vacuumed each time this many of its entries were folded (deleted), in one fold or many. */
export const CAPTURE_VACUUM_AFTER_ENTRIES = 5000;
/** Peers' acknowledgements are written to the database at most this often (they only gate purge). */
export const ACK_PERSIST_INTERVAL_MS = 5000;

/**
 * Session settings of the store's connections: stable text forms whatever the server defaults are (and string
 * literals without backslash escapes, though the literals the store writes mean the same either way: see
 * quoteLiteral), and no sequential scans — every store query is keyed (log position, primary keys, unique keys),
 * and a freshly filled change log without statistics would otherwise be scanned whole on every pull.
 */
const SESSION_OPTIONS = '-c standard_conforming_strings=on -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1 -c enable_seqscan=off';

/**
 * A connection with the store's session settings. Options in the URL (`?options=...` in DATABASE_URL) would
 * replace them (node-postgres lets the URL win): they are kept, followed by the store's, which PostgreSQL then
 * applies last.
 */
function sessionConnection(connectionString: string): { connectionString: string; options: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, options: SESSION_OPTIONS };
  }
  const own = url.searchParams.get('options');
  if (own === null) return { connectionString, options: SESSION_OPTIONS };
  url.searchParams.delete('options');
  return { connectionString: url.toString(), options: `${own} ${SESSION_OPTIONS}` };
}

export interface PostgresStoreProps {
  readonly connectionString: string;
  readonly nodeId: string;
  /** Tables of schema public to replicate. */
  readonly tables: readonly string[];
  /** @default 4 */
  readonly poolSize?: number;
  /** This node's clock. @default Date.now */
  readonly getNowMs?: () => number;
  /**
   * Shift of this node's clock in ms, for the stamps the capture triggers take from PostgreSQL's clock; pass the
   * same shift in getNowMs (fault drills only). @default 0
   */
  readonly clockOffsetMs?: number;
  /** @default MAX_FUTURE_DRIFT_MS */
  readonly maxFutureDriftMs?: number;
  /**
   * How the store learns of local commits (onChange): 'notify' — a NOTIFY from the capture triggers, at once but
   * serializing concurrent committers; 'poll' — no NOTIFY, the head of the log is polled every `pollIntervalMs`.
   * @default { mode: 'notify' }
   */
  readonly poke?: { readonly mode: 'notify' } | { readonly mode: 'poll'; readonly pollIntervalMs: number };
}

/** Shortest head-polling period accepted (each poll is one tiny query). */
export const MIN_POLL_INTERVAL_MS = 1;
/** In poll mode, how often committed-but-unfolded local writes poke again until a pull takes them. */
export const POLL_REPOKE_MS = 20;

interface StateRow {
  pk: string;
  hlc: string;
  column_hlcs: Record<string, string> | null;
  deleted_hlc: string | null;
  stash: Record<string, ColumnValue> | null;
  origin: string;
}

interface CapturedRow {
  tbl: string;
  pk: string;
  op: CaptureEntry['op'];
  hlc: string;
  changed: string[] | null;
  stash: Record<string, ColumnValue> | null;
  seq: string;
  state_hlc: string | null;
  state_column_hlcs: Record<string, string> | null;
  state_max_hlc: string | null;
  state_deleted_hlc: string | null;
  state_stash: Record<string, ColumnValue> | null;
  state_pending_parent: string | null;
}

interface FoldResult {
  taken_count: number;
  floor_ms: string;
  /** null in the one row of a fold that left nothing to foldCaptured */
  tbl: string | null;
}

/** A query result read with rowMode 'array'. */
interface ArrayResult {
  rows: unknown[][];
  fields: { name: string }[];
}

/** Positions of a change-log read's columns by name (tbl, pk, …, t<i>_present); `values[i]`: the value columns of
 * table i (t<i>_<j>, see valueColumns) as [column, position]. */
interface LogFields {
  readonly position: Readonly<Record<string, number>>;
  readonly values: readonly (readonly (readonly [string, number])[])[];
}

/** One row lookup of an apply: rows of `table` found by `kind` from `match`, plus the states of `extraPks`. */
interface RowLookup {
  readonly table: ReplicatedTable;
  readonly kind: LockKind;
  readonly match: readonly string[];
  readonly extraPks?: readonly string[];
}

/** Sends SQL on the apply's connection (several statements allowed when there are no parameters); resolves
 * with one result per statement. */
interface Runner {
  (sql: string, params?: readonly unknown[]): Promise<{ rows: unknown[] }[]>;
  readonly client: ClientBase;
}

/** A runner that sends `opening` (e.g. BEGIN …) together with the first query, saving a round trip. */
function runnerFor(client: ClientBase, opening: string): Runner {
  let pending: string | null = opening;
  const run = async (sql: string, params?: readonly unknown[]) => {
    let text = sql;
    if (pending !== null && params !== undefined) await client.query(pending);
    else if (pending !== null) text = `${pending}; ${sql}`;
    pending = null;
    const result = (await client.query(text, params as unknown[] | undefined)) as unknown as { rows: unknown[] } | { rows: unknown[] }[];
    return Array.isArray(result) ? result : [result];
  };
  return Object.assign(run, { client });
}

/**
 * The batch's rows by table when every change could be a row new to this node — one stamp for all columns, no
 * tombstone (what a fresh insert folds to at its source); null otherwise. Whether they ARE new here, the
 * database decides (freshInsertText).
 */
function freshRowsOf(changes: readonly ValidChange[]): Map<string, FreshRow[]> | null {
  const rows = new Map<string, FreshRow[]>();
  for (const change of changes) {
    if (change.state.deletedHlc !== null) return null;
    let hlc: string | undefined;
    for (const stamp of Object.values(change.state.versions)) {
      if (hlc === undefined) hlc = stamp;
      else if (stamp !== hlc) return null;
    }
    if (hlc === undefined) return null;
    let list = rows.get(change.table);
    if (!list) rows.set(change.table, (list = []));
    list.push({ pk: change.pk, origin: change.origin, hlc, values: change.state.values });
  }
  return rows;
}

/**
 * A stored state's versions over the table's columns, plus the stamps of columns this store does not know yet
 * (a migration ran ahead of it, and a local write of the new column was folded): kept, so the write's stamp is
 * still there when the store learns the column.
 */
function versionsKeepingUnknown(columns: readonly string[], hlc: string, columnHlcs: Record<string, string> | null): Record<string, string> {
  const versions = expandVersions(columns, { hlc, columnHlcs: columnHlcs ?? undefined });
  if (columnHlcs) for (const [column, stamp] of Object.entries(columnHlcs)) if (!(column in versions)) versions[column] = stamp;
  return versions;
}

/**
 * A stash (the values of a row not in its table) with every column of the table: a column added by a migration
 * after the row left its table has its default there.
 */
function completeStash(table: ReplicatedTable, stash: Record<string, ColumnValue> | null): Record<string, ColumnValue> {
  if (!stash) return {};
  if (table.columns.every((column) => column.name in stash)) return stash;
  const complete: Record<string, ColumnValue> = {};
  for (const column of table.columns) complete[column.name] = column.name in stash ? stash[column.name]! : (column.defaultText ?? null);
  return complete;
}

function zeroStamp(nodeId: string): string {
  return '0'.repeat(20) + nodeId;
}

function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = 'detail' in error && error.detail ? ` (${String(error.detail)})` : '';
  return `${error.message}${detail}`;
}

function valuesEqual(a: Readonly<Record<string, ColumnValue>>, b: Readonly<Record<string, ColumnValue>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => (a[key] ?? null) === (b[key] ?? null));
}

export class PostgresReplicationStore implements ReplicationStore {
  readonly nodeId: string;
  readonly schemaVersion: string;
  readonly tables: readonly ReplicatedTable[];
  /** Columns ("table.column") a migration added / removed since the previous install (install.ts). */
  readonly addedColumns: readonly string[];
  readonly removedColumns: readonly string[];
  private readonly pool: Pool;
  private readonly connectionString: string;
  private readonly orderedTables: readonly ReplicatedTable[];
  private readonly tableByName: Map<string, ReplicatedTable>;
  private readonly getNowMs: () => number;
  private readonly maxFutureDriftMs: number | undefined;
  private readonly readSql: string;
  private readonly foldSql: string;
  private readonly freshFoldSql: string;
  /** Prepared row locks + state reads of the apply, per table and per way of finding rows (see lockQueriesOf). */
  private readonly lockQueries: ReadonlyMap<string, LockQuery>;
  /** Per replicated table (same order as `tables`): [column name, result column] of its values in a log read. */
  private readonly valueColumns: readonly (readonly (readonly [string, string])[])[];
  private readonly tableIndex: Map<string, number>;
  private readonly columnSets: readonly ReadonlySet<string>[];
  private readonly snapshotSql: string;
  /** The committed rows a NOTIFY's capture positions ($1) point at (committedRows.ts). */
  private readonly rowsAheadSql: string;
  private purgedUpTo: Cursor | null;
  readonly incarnation: string;
  /** Each peer's incarnation as msk_sync.peer keeps it (read once, then kept with every change). */
  private readonly peerIncarnations = new Map<string, string | null>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly rowsAhead = new RowsAheadOfCursor();
  private listenClient: Client | undefined;
  private listenTimer: NodeJS.Timeout | undefined;
  private listenReady: Promise<void> = Promise.resolve();
  private readonly pollIntervalMs: number | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Poll mode: the change log's head at the last probe. */
  private polledHead: string | null | undefined;
  private closed = false;
  private readonly pendingAcks = new Map<string, Cursor | null>();
  /** Our cursor on each peer (read once from msk_sync.peer, then kept with every apply; an empty batch moves it
   * here only). */
  private readonly cursors = new Map<string, Cursor | null>();
  /** The cursor on each peer as this store last committed it. Every apply moves it only from this value (compare
   * and set): if PostgreSQL lost the last applies (a crash with asynchronous commit), the apply is refused, the
   * remembered cursors are dropped, and the next pull starts again from the cursor the database kept. */
  private readonly storedCursors = new Map<string, Cursor | null>();
  private lastAckPersistMs = 0;

  private constructor(props: {
    pool: Pool;
    connectionString: string;
    nodeId: string;
    tables: readonly ReplicatedTable[];
    addedColumns?: readonly string[];
    removedColumns?: readonly string[];
    purgedUpTo: Cursor | null;
    incarnation: string;
    getNowMs?: () => number;
    maxFutureDriftMs?: number;
    pollIntervalMs?: number;
  }) {
    this.pollIntervalMs = props.pollIntervalMs;
    this.pool = props.pool;
    this.connectionString = props.connectionString;
    this.nodeId = props.nodeId;
    this.tables = props.tables;
    this.addedColumns = props.addedColumns ?? [];
    this.removedColumns = props.removedColumns ?? [];
    this.orderedTables = orderTablesByDependency(props.tables);
    this.tableByName = new Map(props.tables.map((table) => [table.name, table]));
    this.tableIndex = new Map(props.tables.map((table, index) => [table.name, index]));
    this.columnSets = props.tables.map((table) => new Set(columnNames(table)));
    this.foldSql = foldSql(props.nodeId, props.tables.map((table) => table.name));
    this.freshFoldSql = foldSql(props.nodeId, props.tables.map((table) => table.name), 'fresh');
    this.lockQueries = lockQueriesOf(props.tables);
    this.schemaVersion = schemaVersionOf(props.tables);
    this.getNowMs = props.getNowMs ?? Date.now;
    this.maxFutureDriftMs = props.maxFutureDriftMs;
    this.purgedUpTo = props.purgedUpTo;
    this.incarnation = props.incarnation;
    // Each table's values as plain text columns of a lateral join (t<i>_<j>; t<i>_present when the row is in its
    // table): PostgreSQL builds and node-postgres parses no JSON on the hot read path. OFFSET 0 keeps each lateral
    // subquery apart, so its l.tbl test is a one-time gate per row and only the row's own table is probed.
    this.valueColumns = props.tables.map((table, i) => table.columns.map((column, j) => [column.name, `t${i}_${j}`] as const));
    const valueJoins = props.tables
      .map((table, i) => {
        const selected = table.columns.map((column, j) => `${canonicalText(`d.${quoteIdent(column.name)}`, column.type)} AS t${i}_${j}`);
        return `LEFT JOIN LATERAL (SELECT true AS t${i}_present, ${selected.join(', ')} FROM ${qualified(table)} d
                  WHERE l.tbl = ${quoteLiteral(table.name)} AND d.${quoteIdent(table.primaryKey)} = l.pk OFFSET 0) v${i} ON true`;
      })
      .join('\n');
    const valueSelect = props.tables
      .map((table, i) => [`v${i}.t${i}_present`, ...table.columns.map((_, j) => `v${i}.t${i}_${j}`)].join(', '))
      .join(', ');
    const columns = `l.tbl, l.pk::text AS pk, l.hlc, l.column_hlcs, l.deleted_hlc, l.stash, l.origin,
                     l.xid::text AS xid, l.seq::text AS seq, ${valueSelect}`;
    // One statement = one snapshot: the fence, the page and the values are all from the same instant. The fence
    // is an InitPlan so the page is an ordered index range scan of change_log_position. The count of what lies
    // after the cursor (up to $4) needs no order: sorting the entries first cost ~1.5 ms per 5,000-row pull.
    this.readSql = `
      SELECT f.fence::text AS fence,
             (SELECT count(*) FROM (SELECT 1 FROM ${LOG} r WHERE (r.xid, r.seq) > ($1::xid8, $2::bigint) LIMIT $4) c)::int AS after_cursor,
             page.*
      FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS fence) f
      LEFT JOIN LATERAL (
        SELECT ${columns}
        FROM ${LOG} l
        ${valueJoins}
        WHERE (l.xid, l.seq) > ($1::xid8, $2::bigint) AND l.xid < f.fence
        ORDER BY l.xid, l.seq
        LIMIT $3
      ) page ON true`;
    this.snapshotSql = `SELECT ${columns} FROM ${LOG} l ${valueJoins} ORDER BY l.xid, l.seq`;
    // capture entries in the change-log read's shape (l is the capture log here): an INSERT, the only entry of its
    // row in both logs, its row in its table
    const present = props.tables.map((_, i) => `v${i}.t${i}_present`).join(', ');
    this.rowsAheadSql = `
      SELECT l.tbl, l.pk::text AS pk, l.hlc, NULL::jsonb AS column_hlcs, NULL::text AS deleted_hlc, NULL::jsonb AS stash,
             ${quoteLiteral(props.nodeId)}::text AS origin, l.xid::text AS xid, l.seq::text AS seq, ${valueSelect}
      FROM ${SYNC_SCHEMA}.capture_log l
      ${valueJoins}
      WHERE l.seq = ANY($1::bigint[]) AND l.op = 'I' AND coalesce(${present}, false)
        AND NOT EXISTS (SELECT 1 FROM ${SYNC_SCHEMA}.capture_log o WHERE o.tbl = l.tbl AND o.pk = l.pk AND o.seq <> l.seq)
        AND NOT EXISTS (SELECT 1 FROM ${LOG} c WHERE c.tbl = l.tbl AND c.pk = l.pk)
      ORDER BY l.seq
      LIMIT ${ROWS_AHEAD_MAX_POSITIONS}`;
  }

  private readonly preparedClients = new WeakSet<ClientBase>();

  /**
   * A pooled connection with the fold, the log read, the apply's row locks and its fresh-row inserts prepared on
   * it: planning them cost ~0.4-0.6 ms per call (measured), more than running them, and every pull and apply runs
   * several.
   */
  private async connect(): Promise<PoolClient> {
    const client = await this.pool.connect();
    if (!this.preparedClients.has(client)) {
      try {
        const locks = [...this.lockQueries.values()].map(
          (query) =>
            `PREPARE ${query.data}(${query.paramType}) AS ${query.dataSql}; PREPARE ${query.states}(${query.paramType}, uuid[]) AS ${query.statesSql}`,
        );
        const freshInserts = this.tables.map((table, index) => `PREPARE msk_fresh_${index}(${freshInsertParamTypes(table)}) AS ${freshInsertText(table)}`);
        await client.query(
          [
            `PREPARE msk_fold AS ${this.foldSql}`,
            `PREPARE msk_fold_fresh AS ${this.freshFoldSql}`,
            `PREPARE msk_read(xid8, bigint, int, int) AS ${this.readSql}`,
            ...locks,
            ...freshInserts,
          ].join(';\n'),
        );
      } catch (error) {
        client.release(true);
        throw error;
      }
      this.preparedClients.add(client);
    }
    return client;
  }

  /** Installs (idempotently) capture on the tables and opens the store. */
  static async open(props: PostgresStoreProps): Promise<PostgresReplicationStore> {
    if (!NODE_ID_PATTERN.test(props.nodeId)) throw new RangeError(`node id "${props.nodeId}" is not 16 lowercase hex characters (SYNC_NODE_ID)`);
    const pool = new Pool(PostgresReplicationStore.poolConfig(props.connectionString, props.poolSize ?? 4));
    pool.on('error', () => undefined); // an idle client's broken connection: the next query reports it
    // A checked-out client has no listener of the pool's: without this, its PostgreSQL going away between two
    // queries ("terminating connection due to unexpected postmaster exit") is an unhandled 'error' event that
    // ends the whole sync service. The query in flight still rejects, and the caller retries.
    pool.on('connect', (client) => client.on('error', () => undefined));
    try {
      const poke = props.poke ?? { mode: 'notify' as const };
      if (poke.mode === 'poll' && !(poke.pollIntervalMs >= MIN_POLL_INTERVAL_MS)) {
        throw new RangeError(`poke.pollIntervalMs must be at least ${MIN_POLL_INTERVAL_MS} ms (got ${poke.pollIntervalMs})`);
      }
      const installed: InstallResult = await installReplication(pool, {
        nodeId: props.nodeId,
        tables: props.tables,
        notifyOnCommit: poke.mode === 'notify',
        clockOffsetMs: props.clockOffsetMs ?? 0,
      });
      const horizon = await pool.query<{ xid: string | null; seq: string | null; incarnation: string }>(
        `SELECT purged_up_to_xid::text AS xid, purged_up_to_seq::text AS seq, incarnation FROM ${SYNC_SCHEMA}.node`,
      );
      const row = horizon.rows[0];
      return new PostgresReplicationStore({
        pool,
        connectionString: props.connectionString,
        nodeId: props.nodeId,
        tables: installed.tables,
        addedColumns: installed.addedColumns,
        removedColumns: installed.removedColumns,
        purgedUpTo: row?.xid && row.seq ? { xid: row.xid, seq: row.seq } : null,
        incarnation: row!.incarnation,
        getNowMs: props.getNowMs,
        maxFutureDriftMs: props.maxFutureDriftMs,
        pollIntervalMs: poke.mode === 'poll' ? poke.pollIntervalMs : undefined,
      });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  private static poolConfig(connectionString: string, max: number): PoolConfig {
    return { ...sessionConnection(connectionString), max, idleTimeoutMillis: 30_000 };
  }

  // ---- reading ----

  /** The wire form straight from the log row (already compact: base stamp + per-column exceptions). */
  /** Column positions of a change-log read (rowMode 'array'), by name. */
  private logFields(result: ArrayResult): LogFields {
    const position: Record<string, number> = {};
    result.fields.forEach((field, index) => (position[field.name] = index));
    return { position, values: this.valueColumns.map((columns) => columns.map(([column, field]) => [column, position[field]!] as const)) };
  }

  private changeOf(row: readonly unknown[], fields: LogFields): RowChange | null {
    const at = fields.position;
    const tbl = row[at.tbl!] as string;
    const index = this.tableIndex.get(tbl);
    if (index === undefined) return null;
    let values: Record<string, ColumnValue> | null = null;
    if (row[at[`t${index}_present`]!] === true) {
      values = {};
      for (const [column, position] of fields.values[index]!) values[column] = row[position] as ColumnValue;
    }
    let columnHlcs = row[at.column_hlcs!] as Record<string, string> | null;
    const table = this.tables[index]!;
    // a stamp of a column this store does not know (written while a migration ran ahead of it): not sent
    if (columnHlcs && Object.keys(columnHlcs).some((column) => !this.columnSets[index]!.has(column))) {
      columnHlcs = Object.fromEntries(Object.entries(columnHlcs).filter(([column]) => this.columnSets[index]!.has(column)));
    }
    return {
      table: tbl,
      pk: row[at.pk!] as string,
      origin: row[at.origin!] as string,
      hlc: row[at.hlc!] as string,
      ...(columnHlcs && Object.keys(columnHlcs).length > 0 ? { columnHlcs } : {}),
      values: values ?? completeStash(table, row[at.stash!] as Record<string, ColumnValue> | null),
      deletedHlc: row[at.deleted_hlc!] as string | null,
    };
  }

  async readChanges(request: ReadChangesRequest): Promise<ChangeBatch | ReloadRequired> {
    if (!request.forPush) this.pendingAcks.set(request.forPeer, request.acknowledged !== undefined ? request.acknowledged : request.cursor);
    if (this.purgedUpTo !== null && compareCursors(request.cursor, this.purgedUpTo) < 0) {
      return {
        type: 'reload-required',
        protocolVersion: PROTOCOL_VERSION,
        sourceNodeId: this.nodeId,
        purgedUpTo: this.purgedUpTo,
        message:
          `cursor ${request.cursor ? `${request.cursor.xid}/${request.cursor.seq}` : '(none)'} is behind the purge horizon ` +
          `${this.purgedUpTo.xid}/${this.purgedUpTo.seq} of node ${this.nodeId}: load a snapshot`,
      };
    }
    const cursor = request.cursor ?? { xid: '0', seq: '0' };
    if (!cursorSchema.safeParse(cursor).success || !Number.isInteger(request.limit) || request.limit < 1) {
      throw new RangeError(`invalid pull: cursor ${JSON.stringify(cursor)}, limit ${request.limit}`);
    }
    // fold local writes, commit, then read (behind the fence, which the fold's commit has passed): 2-3 round trips
    // the cursor is validated (digits), the limits are integers
    const read = `EXECUTE msk_read('${cursor.xid}', ${cursor.seq}, ${request.limit + 1}, ${MAX_COUNTED_LAG_CHANGES + request.limit + 1})`;
    const client = await this.connect();
    // rows as arrays: node-postgres parses a 5,000-row page ~20% faster than as objects (measured)
    let result: ArrayResult | undefined;
    try {
      if (this.foldsOnlyNewRows) {
        // one round trip: the fold of new rows, COMMIT and the read; a write that needs foldCaptured makes the fold
        // raise (nothing taken), and the full fold runs below until a fold meets new rows only again
        try {
          const results = (await client.query({ text: `${this.writerOpening()}; ${FRESH_FOLD_STATEMENT}; COMMIT; ${read}`, rowMode: 'array' })) as unknown as ArrayResult[];
          result = results[results.length - 1]!;
          this.vacuumCaptureLogSoon(Number(results[results.length - 3]!.rows[0]![0]));
        } catch (error) {
          if (sqlState(error) !== NOT_FRESH_SQLSTATE) throw error;
          await client.query('ROLLBACK');
          this.foldsOnlyNewRows = false;
        }
      }
      if (!result) {
        const { taken, leftForFold } = await this.foldIn(client);
        const results = (await client.query({ text: `COMMIT; ${read}`, rowMode: 'array' })) as unknown as ArrayResult[];
        result = results[results.length - 1]!;
        this.foldsOnlyNewRows = leftForFold === 0;
        if (taken > 0) this.vacuumCaptureLogSoon(taken);
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    this.persistAcksSoon();
    const fields = this.logFields(result);
    const at = fields.position;
    const first = result.rows[0]!;
    const fence = first[at.fence!] as string;
    const afterCursor = first[at.after_cursor!] as number;
    const rows = result.rows.filter((row) => row[at.tbl!] !== null);
    const hasMore = rows.length > request.limit;
    const page = rows.slice(0, request.limit);
    const last = page[page.length - 1];
    let nextCursor: Cursor = hasMore && last ? { xid: last[at.xid!] as string, seq: last[at.seq!] as string } : { xid: fence, seq: '0' };
    if (compareCursors(nextCursor, cursor) < 0) nextCursor = cursor;
    const changes: RowChange[] = [];
    for (const row of page) {
      if (row[at.origin!] === request.forPeer) continue;
      const change = this.changeOf(row, fields);
      if (change) changes.push(change);
    }
    return {
      type: 'batch',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: this.schemaVersion,
      sourceNodeId: this.nodeId,
      changes,
      nextCursor,
      hasMore,
      remainingChanges: Math.min(Math.max(0, afterCursor - page.length), MAX_COUNTED_LAG_CHANGES),
      sourceIncarnation: this.incarnation,
    };
  }

  async exportSnapshot(): Promise<Snapshot> {
    await this.foldNow();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const fence = await client.query<{ fence: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS fence');
      const rows = (await client.query({ text: this.snapshotSql, rowMode: 'array' })) as unknown as ArrayResult;
      await client.query('COMMIT');
      const fields = this.logFields(rows);
      return {
        type: 'snapshot',
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: this.schemaVersion,
        sourceNodeId: this.nodeId,
        cursor: { xid: fence.rows[0]!.fence, seq: '0' },
        changes: rows.rows.map((row) => this.changeOf(row, fields)).filter((change): change is RowChange => change !== null),
        sourceIncarnation: this.incarnation,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async headCursor(): Promise<Cursor> {
    const result = await this.pool.query<{ fence: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS fence');
    return { xid: result.rows[0]!.fence, seq: '0' };
  }

  // ---- applying ----

  applyBatch(fromPeer: string, batch: ChangeBatch): Promise<ApplyOutcome> {
    return this.applyValidated(fromPeer, batch, batch.changes, batch.nextCursor);
  }

  loadSnapshot(fromPeer: string, snapshot: Snapshot): Promise<ApplyOutcome> {
    return this.applyValidated(fromPeer, snapshot, snapshot.changes, snapshot.cursor);
  }

  private async applyValidated(
    fromPeer: string,
    peerSchema: Pick<ChangeBatch, 'schemaVersion' | 'schema'>,
    changes: readonly RowChange[],
    cursor: Cursor,
  ): Promise<ApplyOutcome> {
    if (!NODE_ID_PATTERN.test(fromPeer)) return { ok: false, problems: [`peer id "${fromPeer}" is not a node id`] };
    if (!cursorSchema.safeParse(cursor).success) return this.refuse(fromPeer, [`cursor ${JSON.stringify(cursor)} is not a cursor`]);
    const gate = peerSchemaGate(this, fromPeer, peerSchema);
    if (!gate.pass) {
      if (gate.waitingForUpgrade) return { ok: false, problems: gate.problems, waitingForUpgrade: true };
      return this.refuse(fromPeer, gate.problems);
    }
    const validation = validateChanges(changes, {
      tables: this.tableByName,
      nowMs: this.getNowMs(),
      maxFutureDriftMs: this.maxFutureDriftMs,
      peerLacks: gate.peerLacks,
    });
    if (!validation.ok) return this.refuse(fromPeer, validation.problems);
    if (validation.changes.length === 0) {
      // nothing to write: the cursor moves in memory only (pulling again from an older one returns nothing new)
      if (compareCursors(cursor, await this.peerCursor(fromPeer)) > 0) this.cursors.set(fromPeer, cursor);
      return { ok: true, applied: 0, unchanged: 0, pending: 0, conflicts: [], cursor };
    }
    // a batch that leaves our cursor where it is: rows pushed ahead of the peer's log, which its next batch repeats
    const ahead = sameCursor(cursor, await this.peerCursor(fromPeer));
    let lastError: unknown;
    let fresh = this.rowsAhead.seenAgain(fromPeer, validation.changes) ? null : freshRowsOf(validation.changes);
    for (let attempt = 1; attempt <= MAX_APPLY_ATTEMPTS; attempt++) {
      try {
        let outcome: ApplyOutcome | undefined;
        if (fresh) {
          outcome = await this.applyFresh(fromPeer, fresh, cursor);
          fresh = null; // not all new here, or a retry: the full merge
        }
        outcome ??= await this.applyInTransaction(fromPeer, validation.changes, cursor);
        if (ahead) this.rowsAhead.note(fromPeer, validation.changes);
        return outcome;
      } catch (error) {
        lastError = error;
        if (sqlState(error) === CURSOR_MOVED_SQLSTATE) {
          this.cursors.delete(fromPeer);
          this.storedCursors.delete(fromPeer);
          return this.refuse(fromPeer, [
            `our cursor on ${fromPeer} in the database is not where this service last left it (the database lost its last applies in a crash?): nothing was applied; pulling again from the stored cursor`,
          ]);
        }
        if (!RETRYABLE_SQLSTATES.has(sqlState(error) ?? '')) break;
      }
    }
    return this.refuse(fromPeer, [`applying the batch failed, nothing was applied: ${errorMessage(lastError)}`]);
  }

  private async refuse(fromPeer: string, problems: readonly string[]): Promise<ApplyOutcome> {
    await this.recordPeerError(fromPeer, `batch refused: ${problems.join('; ')}`).catch(() => undefined);
    return { ok: false, problems };
  }

  /**
   * The opening statements of every transaction that writes the change log (an apply, a fold): the apply lock, and
   * synchronous_commit off as PostgreSQL's own subscriptions do — a crash loses the last applies together with
   * their cursor, so they are pulled again. An apply also sets the peer as origin (a validated hex node id: safe
   * inline), which makes the capture triggers stand aside.
   */
  private writerOpening(fromPeer?: string): string {
    const origin = fromPeer === undefined ? '' : ` SET LOCAL ${ORIGIN_SETTING} = '${fromPeer}';`;
    return `BEGIN; SELECT pg_advisory_xact_lock(${APPLY_LOCK_KEY});${origin} SET LOCAL synchronous_commit = off`;
  }

  private async expectedCursor(fromPeer: string): Promise<Cursor | null> {
    return this.storedCursors.has(fromPeer) ? this.storedCursors.get(fromPeer)! : this.loadStoredCursor(fromPeer);
  }

  /**
   * The fast path for a batch of rows new to this node (freshInsertText): a small batch goes in ONE round trip with
   * its cursor and COMMIT. Resolves undefined, having rolled back, when a row was not new here after all.
   */
  private async applyFresh(fromPeer: string, rows: ReadonlyMap<string, readonly FreshRow[]>, cursor: Cursor): Promise<ApplyOutcome | undefined> {
    const expected = await this.expectedCursor(fromPeer);
    const client = await this.connect();
    try {
      const run = runnerFor(client, this.writerOpening(fromPeer));
      const tables = this.orderedTables.filter((table) => rows.has(table.name));
      let count = 0;
      let newestWallMs = 0;
      for (const list of rows.values()) {
        count += list.length;
        for (const row of list) newestWallMs = Math.max(newestWallMs, hlcWallMs(row.hlc));
      }
      const small = count <= INLINE_APPLY_MAX_CHANGES;
      // small: the prepared statements with literal arguments; large: planned once for thousands of rows
      const executes: string[] = [];
      for (const table of tables) {
        const params = freshInsertParams(table, rows.get(table.name)!);
        if (small) executes.push(`EXECUTE msk_fresh_${this.tableIndex.get(table.name)}(${params.map(literal).join(', ')})`);
        else await run(freshInsertText(table), params);
      }
      await run([...executes, ...this.cursorAndCommitSql(fromPeer, cursor, expected, { applied: count, conflicts: 0, newestWallMs })].join(';\n'));
      this.storedCursors.set(fromPeer, cursor);
      this.cursors.set(fromPeer, cursor);
      return { ok: true, applied: count, unchanged: 0, pending: 0, conflicts: [], cursor };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (FRESH_PATH_MISSES.has(sqlState(error) ?? '')) return undefined;
      throw error;
    } finally {
      client.release();
    }
  }

  /** Clock floor, the cursor (moved only from where this store left it, else nothing of the apply commits), the
   * peer's counters, and COMMIT. Every inlined value is validated (digits, hex id) or a number. */
  private cursorAndCommitSql(
    fromPeer: string,
    cursor: Cursor,
    expected: Cursor | null,
    counts: { applied: number; conflicts: number; newestWallMs: number },
  ): string[] {
    const { applied, conflicts, newestWallMs } = counts;
    return [
      `UPDATE ${SYNC_SCHEMA}.node SET clock_floor_ms = ${newestWallMs} WHERE clock_floor_ms < ${newestWallMs}`,
      `WITH moved AS (${
        expected === null
          ? `INSERT INTO ${SYNC_SCHEMA}.peer AS p (node_id, cursor_xid, cursor_seq, last_applied_at, applied_changes, conflicts_resolved)
             VALUES ('${fromPeer}', '${cursor.xid}'::xid8, ${cursor.seq}, now(), ${applied}, ${conflicts})
             ON CONFLICT (node_id) DO UPDATE SET cursor_xid = excluded.cursor_xid, cursor_seq = excluded.cursor_seq,
               last_applied_at = now(), applied_changes = p.applied_changes + excluded.applied_changes,
               conflicts_resolved = p.conflicts_resolved + excluded.conflicts_resolved, last_error = NULL
             WHERE p.cursor_xid IS NULL`
          : `UPDATE ${SYNC_SCHEMA}.peer AS p SET cursor_xid = '${cursor.xid}'::xid8, cursor_seq = ${cursor.seq},
               last_applied_at = now(), applied_changes = p.applied_changes + ${applied},
               conflicts_resolved = p.conflicts_resolved + ${conflicts}, last_error = NULL
             WHERE p.node_id = '${fromPeer}' AND p.cursor_xid = '${expected.xid}'::xid8 AND p.cursor_seq = ${expected.seq}`
      } RETURNING 1)
       SELECT ${SYNC_SCHEMA}.expect_cursor_moved((SELECT count(*) FROM moved), '${fromPeer}')`,
      'COMMIT',
    ];
  }

  private async applyInTransaction(fromPeer: string, changes: readonly ValidChange[], cursor: Cursor): Promise<ApplyOutcome> {
    const expected = await this.expectedCursor(fromPeer);
    const client = await this.connect();
    try {
      const run = runnerFor(client, this.writerOpening(fromPeer));
      let applied = 0;
      let unchanged = 0;
      let pending = 0;
      const conflicts: ApplyPlan['conflicts'][number][] = [];
      // Each chunk's writes must be in before the next chunk is planned. A small batch's writes go with the
      // cursor and COMMIT in one round trip (parameters inlined); a large one's go one statement at a time.
      const small = changes.length <= INLINE_APPLY_MAX_CHANGES;
      let lastWrites: Sql[] = [];
      const writeNow = async (writes: readonly Sql[]) => {
        for (const write of writes) await run(write.text, write.params);
      };
      for (let start = 0; start < changes.length; start += APPLY_CHUNK_CHANGES) {
        await writeNow(lastWrites);
        const plan = await planApply(this.view(run), this.tables, changes.slice(start, start + APPLY_CHUNK_CHANGES), this.nodeId);
        lastWrites = this.planStatements(plan, fromPeer);
        applied += plan.writes.filter((write) => write.stateChanged).length;
        pending += plan.writes.filter((write) => write.pendingParent !== null).length;
        unchanged += plan.unchanged;
        conflicts.push(...plan.conflicts);
      }
      let newestWallMs = 0;
      for (const change of changes) {
        const newest = newestHlc(change.state);
        if (newest) newestWallMs = Math.max(newestWallMs, hlcWallMs(newest));
      }
      if (!small) await writeNow(lastWrites);
      // cursor, counters, clock floor and COMMIT in one round trip, with the last writes of a small batch
      await run(
        [
          ...(small ? lastWrites.map(inline) : []),
          ...this.cursorAndCommitSql(fromPeer, cursor, expected, { applied, conflicts: conflicts.length, newestWallMs }),
        ].join(';\n'),
      );
      this.storedCursors.set(fromPeer, cursor);
      this.cursors.set(fromPeer, cursor);
      return { ok: true, applied, unchanged, pending, conflicts, cursor };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Locks the rows of `table` found by `kind` from `match` (and reads their values), folds local writes that
   * committed before we got the locks (so the merge sees them), and reads the replicated states of those rows and
   * of `extraPks` — one round trip of prepared statements, arguments as quoted literals. Only when the fold left
   * entries to foldCaptured are the states read again after it.
   */
  private async lockedRows(run: Runner, table: ReplicatedTable, kind: LockKind, match: readonly string[], extraPks: readonly string[] = []): Promise<Map<string, LocalRow>> {
    return (await this.lockedRowSets(run, [{ table, kind, match, extraPks }]))[0]!;
  }

  /** lockedRows for several lookups in the same round trip: every row lock first, one fold, then every state read. */
  private async lockedRowSets(run: Runner, lookups: readonly RowLookup[]): Promise<Map<string, LocalRow>[]> {
    const queries = lookups.map((lookup) => {
      const query = this.lockQueries.get(lockKey(lookup.table, lookup.kind));
      if (!query) throw new RangeError(`no row lock for ${lookup.table.name} by ${lookup.kind}`);
      return {
        dataSql: `EXECUTE ${query.data}(${literal(lookup.match)})`,
        statesSql: `EXECUTE ${query.states}(${literal(lookup.match)}, ${literal(lookup.extraPks ?? [])})`,
      };
    });
    type StateWithParent = StateRow & { pending_parent: string | null };
    const statesSql = queries.map((query) => query.statesSql).join('; ');
    const results = await run([...queries.map((query) => query.dataSql), FOLD_STATEMENT, statesSql].join('; '));
    const tail = results.slice(-(2 * lookups.length + 1));
    const dataResults = tail.slice(0, lookups.length) as { rows: { pk: string; v: Record<string, ColumnValue> }[] }[];
    const fold = tail[lookups.length] as { rows: (CapturedRow & FoldResult)[] };
    let stateResults = tail.slice(lookups.length + 1) as { rows: StateWithParent[] }[];
    if (fold.rows.some((row) => row.tbl !== null)) {
      await this.foldCaptured(run.client, fold.rows);
      stateResults = (await run(statesSql)).slice(-lookups.length) as { rows: StateWithParent[] }[];
    }
    return lookups.map((lookup, index) =>
      this.localRows(lookup.table, new Map(dataResults[index]!.rows.map((row) => [row.pk, row.v])), stateResults[index]!.rows),
    );
  }

  private localRows(table: ReplicatedTable, data: Map<string, Record<string, ColumnValue>>, states: readonly (StateRow & { pending_parent: string | null })[]): Map<string, LocalRow> {
    const rows = new Map<string, LocalRow>();
    const columns = columnNames(table);
    for (const state of states) {
      const values = data.get(state.pk) ?? (state.stash ? completeStash(table, state.stash) : null);
      if (!values) continue; // a live row whose data was removed behind replication's back: treat as unknown
      rows.set(state.pk, {
        pk: state.pk,
        state: {
          versions: versionsKeepingUnknown(columns, state.hlc, state.column_hlcs),
          values,
          deletedHlc: state.deleted_hlc,
        },
        materialized: data.has(state.pk),
        origin: state.origin,
      });
    }
    for (const [rowPk, values] of data) {
      if (rows.has(rowPk)) continue;
      // a row written while capture was off: known values, oldest possible stamps
      rows.set(rowPk, {
        pk: rowPk,
        state: { versions: expandVersions(columns, { hlc: zeroStamp(this.nodeId) }), values, deletedHlc: null },
        materialized: true,
        origin: this.nodeId,
      });
    }
    return rows;
  }

  /** The planner's view of the database inside one apply transaction; `run` sends the transaction's opening
   * statements with its first query. */
  private view(run: Runner): LocalView {
    const prefetchedHolders = new Map<string, Map<string, LocalRow>>();
    const holdersKey = (table: ReplicatedTable, keyName: string, values: readonly string[]) =>
      JSON.stringify([table.name, keyName, [...values].sort()]);
    return {
      loadRows: async (table, pks, uniqueHints) => {
        // the unique keys' holders the plan will probably ask for are locked and read in the same round trip
        const hinted = [...(uniqueHints ?? new Map<string, readonly string[]>())].filter(([, values]) => values.length > 0);
        const [rows, ...holders] = await this.lockedRowSets(run, [
          { table, kind: 'pk', match: pks, extraPks: pks },
          ...hinted.map(([keyName, values]): RowLookup => ({ table, kind: `unique:${keyName}`, match: values })),
        ]);
        hinted.forEach(([keyName, values], index) => prefetchedHolders.set(holdersKey(table, keyName, values), holders[index]!));
        return rows!;
      },
      materializedPks: async (table, pks) => {
        const pk = quoteIdent(table.primaryKey);
        const results = await run(`SELECT ${pk}::text AS pk FROM ${qualified(table)} WHERE ${pk} = ANY(${literal(pks)}::uuid[]) FOR KEY SHARE`);
        return new Set((results.at(-1)!.rows as { pk: string }[]).map((row) => row.pk));
      },
      materializedChildren: async (table, column, parentPks) => [...(await this.lockedRows(run, table, `fk:${column}`, parentPks)).values()],
      pendingChildren: async (table, parentPks) => {
        const results = await run(`SELECT pk::text AS pk FROM ${LOG} WHERE tbl = ${quoteLiteral(table.name)} AND pending_parent = ANY(${literal(parentPks)}::uuid[])`);
        const pks = (results.at(-1)!.rows as { pk: string }[]).map((row) => row.pk);
        if (pks.length === 0) return [];
        return [...(await this.lockedRows(run, table, 'pk', [], pks)).values()].filter((row) => !row.materialized);
      },
      uniqueHolders: async (table: ReplicatedTable, key: UniqueKey, values) => {
        const prefetched = prefetchedHolders.get(holdersKey(table, key.name, values));
        return [...(prefetched ?? (await this.lockedRows(run, table, `unique:${key.name}`, values))).values()];
      },
    };
  }

  /** Upsert of whole rows from one array per column, typed with the column's own type. */
  private upsertSql(table: ReplicatedTable, rows: readonly Readonly<Record<string, ColumnValue>>[]): Sql {
    const columns = table.columns.map((column) => quoteIdent(column.name));
    const arrays = table.columns.map((column, index) => `$${index + 1}::${column.type}[]`);
    const updates = table.columns
      .filter((column) => column.name !== table.primaryKey)
      .map((column) => `${quoteIdent(column.name)} = EXCLUDED.${quoteIdent(column.name)}`);
    return {
      text: `INSERT INTO ${qualified(table)} (${columns.join(', ')})
      SELECT * FROM unnest(${arrays.join(', ')}) AS u(${columns.join(', ')})
      ON CONFLICT (${quoteIdent(table.primaryKey)}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
      params: table.columns.map((column) => rows.map((row) => row[column.name] ?? null)),
    };
  }

  /** The SQL statements that write a plan (run together, in this order, inside the apply's transaction). */
  private planStatements(plan: ApplyPlan, fromPeer: string): Sql[] {
    const statements: Sql[] = [];
    if (plan.writes.length === 0) return statements;
    // rows leaving their table: children first
    for (const table of [...this.orderedTables].reverse()) {
      const leaving = plan.writes.filter((w) => w.table.name === table.name && w.before?.materialized && !w.materialize).map((w) => w.pk);
      if (leaving.length === 0) continue;
      statements.push({ text: `DELETE FROM ${qualified(table)} WHERE ${quoteIdent(table.primaryKey)} = ANY($1::uuid[])`, params: [leaving] });
    }
    // rows entering or changing: parents first; within a table, rows already there change first, so a row
    // renamed by a unique conflict frees its value before the winner of that value is inserted
    for (const table of this.orderedTables) {
      const writes = plan.writes.filter(
        (w) => w.table.name === table.name && w.materialize && !(w.before?.materialized && valuesEqual(w.before.state.values, w.state.values)),
      );
      if (writes.length === 0) continue;
      const changing = writes.filter((w) => w.before?.materialized);
      const entering = writes.filter((w) => !w.before?.materialized);
      if (changing.length > 0) statements.push(this.upsertSql(table, changing.map((w) => w.state.values)));
      if (entering.length > 0) statements.push(this.upsertSql(table, entering.map((w) => w.state.values)));
    }
    const toRecord = (w: ApplyPlan['writes'][number]): StateRecord => {
      const compact = compactVersions(w.state.versions);
      return {
        tbl: w.table.name,
        pk: w.pk,
        hlc: compact.hlc,
        column_hlcs: compact.columnHlcs ?? null,
        max_hlc: newestHlc(w.state)!,
        deleted_hlc: w.state.deletedHlc,
        stash: w.materialize ? null : w.state.values,
        pending_parent: w.pendingParent,
        origin: w.origin,
      };
    };
    const changed = plan.writes.filter((w) => w.stateChanged).map(toRecord);
    if (changed.length > 0) statements.push(writeStatesSql(changed));
    const moved = plan.writes.filter((w) => !w.stateChanged).map(toRecord);
    if (moved.length > 0) {
      // only where the row lives changed (pending <-> materialized): same state, same log position
      statements.push({
        text: `UPDATE ${LOG} AS l SET stash = r.stash, pending_parent = r.pending_parent
         FROM jsonb_to_recordset($1::jsonb) AS r(tbl text, pk uuid, stash jsonb, pending_parent uuid)
         WHERE l.tbl = r.tbl AND l.pk = r.pk`,
        params: [JSON.stringify(moved)],
      });
    }
    if (plan.conflicts.length > 0) {
      const conflicts = plan.conflicts.map((c) => ({
        tbl: c.table,
        constraint_name: c.constraint,
        winner_pk: c.winnerPk,
        loser_pk: c.loserPk,
        renamed_column: c.renamedColumn,
        renamed_to: c.renamedTo,
      }));
      statements.push({
        text: `INSERT INTO ${SYNC_SCHEMA}.conflict (tbl, constraint_name, winner_pk, loser_pk, renamed_column, renamed_to, from_peer)
         SELECT r.tbl, r.constraint_name, r.winner_pk, r.loser_pk, r.renamed_column, r.renamed_to, $2::text
         FROM jsonb_to_recordset($1::jsonb) AS r(tbl text, constraint_name text, winner_pk uuid, loser_pk uuid, renamed_column text, renamed_to text)
         ON CONFLICT DO NOTHING`,
        params: [JSON.stringify(conflicts), fromPeer],
      });
    }
    return statements;
  }

  // ---- folding local writes ----

  /** Folds committed capture entries into change_log (caller holds the apply lock, inside a transaction). */
  private async foldCaptured(client: ClientBase, result?: readonly (CapturedRow & FoldResult)[]): Promise<number> {
    const rows = result ?? (await client.query<CapturedRow & FoldResult>(FOLD_STATEMENT)).rows;
    const taken = rows[0]?.taken_count ?? 0;
    const floorMs = Number(rows[0]?.floor_ms ?? 0);
    const captured = rows.filter((row) => row.tbl !== null).sort((a, b) => {
      const sa = BigInt(a.seq);
      const sb = BigInt(b.seq);
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    });
    const byRow = new Map<string, { first: CapturedRow; entries: CaptureEntry[] }>();
    for (const row of captured) {
      const key = `${row.tbl}\u0000${row.pk}`;
      const group = byRow.get(key) ?? { first: row, entries: [] };
      group.entries.push({ op: row.op, hlc: row.hlc, changed: row.changed, stash: row.stash });
      byRow.set(key, group);
    }
    const records: StateRecord[] = [];
    for (const { first, entries } of byRow.values()) {
      if (!this.tableByName.has(first.tbl)) continue; // a table no longer replicated
      const previous: StoredState | null =
        first.state_hlc === null
          ? null
          : {
              hlc: first.state_hlc,
              columnHlcs: first.state_column_hlcs,
              deletedHlc: first.state_deleted_hlc,
              maxHlc: first.state_max_hlc!,
              stash: first.state_stash,
              pendingParent: first.state_pending_parent,
            };
      const folded = foldCaptured(previous, entries, this.nodeId, floorMs);
      records.push({
        tbl: first.tbl,
        pk: first.pk,
        hlc: folded.hlc,
        column_hlcs: folded.columnHlcs ? { ...folded.columnHlcs } : null,
        max_hlc: folded.maxHlc,
        deleted_hlc: folded.deletedHlc,
        stash: folded.stash ? { ...folded.stash } : null,
        pending_parent: folded.pendingParent,
        origin: this.nodeId,
      });
    }
    if (records.length > 0) {
      const write = writeStatesSql(records);
      await client.query(write.text, write.params as unknown[]);
    }
    return taken;
  }

  /** Whether the last fold met new rows only (then the next pull tries the one-round-trip fold and read). */
  private foldsOnlyNewRows = true;

  /** Opens a transaction holding the apply lock and folds in it (the caller commits). Returns entries taken and
   * how many of them foldCaptured had to fold. */
  private async foldIn(client: ClientBase): Promise<{ taken: number; leftForFold: number }> {
    const results = (await client.query(`${this.writerOpening()}; ${FOLD_STATEMENT}`)) as unknown as { rows: (CapturedRow & FoldResult)[] }[];
    const rows = results[results.length - 1]!.rows;
    return { taken: await this.foldCaptured(client, rows), leftForFold: rows.filter((row) => row.tbl !== null).length };
  }

  private vacuuming = false;
  /** Capture-log entries folded since its last VACUUM. */
  private foldedSinceVacuum = 0;

  /**
   * The capture log is a queue: vacuum it every CAPTURE_VACUUM_AFTER_ENTRIES folded entries, so folds don't wade
   * through dead rows. Counted over many folds: a steady load folds a few hundred entries per pull, and autovacuum
   * looks at most once a minute — meanwhile every fold scanned every entry deleted since (measured: a pull's cost
   * per row went from 19 to 44 µs within 6 s at 22,000 rows/s).
   */
  private vacuumCaptureLogSoon(taken: number): void {
    this.foldedSinceVacuum += taken;
    if (this.foldedSinceVacuum < CAPTURE_VACUUM_AFTER_ENTRIES || this.vacuuming || this.closed) return;
    this.foldedSinceVacuum = 0;
    this.vacuuming = true;
    this.pool
      .query(`VACUUM (SKIP_LOCKED) ${SYNC_SCHEMA}.capture_log`)
      .catch(() => undefined)
      .finally(() => {
        this.vacuuming = false;
      });
  }

  /** Folds in a short transaction of its own (before serving a snapshot; tests). Returns entries taken. */
  async foldNow(): Promise<number> {
    const client = await this.connect();
    try {
      const { taken } = await this.foldIn(client);
      await client.query('COMMIT');
      this.vacuumCaptureLogSoon(taken);
      return taken;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  // ---- peers, purge ----

  async peerCursor(peerId: string): Promise<Cursor | null> {
    if (!this.cursors.has(peerId)) await this.loadStoredCursor(peerId);
    return this.cursors.get(peerId) ?? null;
  }

  private async loadStoredCursor(peerId: string): Promise<Cursor | null> {
    const result = await this.pool.query<{ xid: string | null; seq: string | null }>(
      `SELECT cursor_xid::text AS xid, cursor_seq::text AS seq FROM ${SYNC_SCHEMA}.peer WHERE node_id = $1`,
      [peerId],
    );
    const row = result.rows[0];
    const stored = row?.xid && row.seq ? { xid: row.xid, seq: row.seq } : null;
    // an apply may have committed meanwhile: it set the maps, keep its values
    if (!this.storedCursors.has(peerId)) this.storedCursors.set(peerId, stored);
    if (!this.cursors.has(peerId)) this.cursors.set(peerId, this.storedCursors.get(peerId) ?? null);
    return this.storedCursors.get(peerId) ?? null;
  }

  async setPeerCursor(peerId: string, cursor: Cursor): Promise<void> {
    this.cursors.delete(peerId);
    this.storedCursors.delete(peerId);
    await this.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.peer (node_id, cursor_xid, cursor_seq) VALUES ($1, $2::xid8, $3::bigint)
       ON CONFLICT (node_id) DO UPDATE SET cursor_xid = excluded.cursor_xid, cursor_seq = excluded.cursor_seq`,
      [peerId, cursor.xid, cursor.seq],
    );
    this.cursors.set(peerId, cursor);
    this.storedCursors.set(peerId, cursor);
  }

  async peerIncarnation(peerId: string): Promise<string | null> {
    if (!this.peerIncarnations.has(peerId)) {
      const result = await this.pool.query<{ incarnation: string | null }>(
        `SELECT source_incarnation AS incarnation FROM ${SYNC_SCHEMA}.peer WHERE node_id = $1`,
        [peerId],
      );
      this.peerIncarnations.set(peerId, result.rows[0]?.incarnation ?? null);
    }
    return this.peerIncarnations.get(peerId) ?? null;
  }

  async setPeerIncarnation(peerId: string, incarnation: string, resetCursor: boolean): Promise<void> {
    this.peerIncarnations.delete(peerId);
    if (resetCursor) {
      this.cursors.delete(peerId);
      this.storedCursors.delete(peerId);
    }
    await this.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.peer AS p (node_id, source_incarnation) VALUES ($1, $2)
       ON CONFLICT (node_id) DO UPDATE SET source_incarnation = excluded.source_incarnation
         ${resetCursor ? ', cursor_xid = NULL, cursor_seq = NULL' : ''}`,
      [peerId, incarnation],
    );
    this.peerIncarnations.set(peerId, incarnation);
    if (resetCursor) {
      this.cursors.set(peerId, null);
      this.storedCursors.set(peerId, null);
    }
  }

  async recordPeerError(peerId: string, message: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.peer AS p (node_id, errors, last_error, last_error_at) VALUES ($1, 1, $2, now())
       ON CONFLICT (node_id) DO UPDATE SET errors = p.errors + 1, last_error = excluded.last_error, last_error_at = now()`,
      [peerId, message.slice(0, 2000)],
    );
  }

  private persistAcksSoon(): void {
    if (this.getNowMs() - this.lastAckPersistMs < ACK_PERSIST_INTERVAL_MS) return;
    this.lastAckPersistMs = this.getNowMs();
    this.persistAcks().catch(() => undefined);
  }

  /** Writes peers' acknowledgements (kept in memory on the read path, which stays read-only). */
  async persistAcks(): Promise<void> {
    const acks = [...this.pendingAcks.entries()];
    this.pendingAcks.clear();
    for (const [peerId, cursor] of acks) {
      await this.pool.query(
        `INSERT INTO ${SYNC_SCHEMA}.peer (node_id, acked_xid, acked_seq) VALUES ($1, $2::xid8, $3::bigint)
         ON CONFLICT (node_id) DO UPDATE SET acked_xid = excluded.acked_xid, acked_seq = excluded.acked_seq`,
        [peerId, cursor?.xid ?? null, cursor?.seq ?? null],
      );
    }
  }

  async peerProgress(): Promise<PeerProgress[]> {
    await this.persistAcks();
    const result = await this.pool.query<{
      node_id: string;
      cursor_xid: string | null;
      cursor_seq: string | null;
      acked_xid: string | null;
      acked_seq: string | null;
      last_applied_at: Date | null;
      applied_changes: string;
      conflicts_resolved: string;
      errors: string;
      last_error: string | null;
      last_error_at: Date | null;
    }>(
      `SELECT node_id, cursor_xid::text, cursor_seq::text, acked_xid::text, acked_seq::text, last_applied_at,
              applied_changes::text, conflicts_resolved::text, errors::text, last_error, last_error_at
       FROM ${SYNC_SCHEMA}.peer ORDER BY node_id`,
    );
    return result.rows.map((row) => ({
      peerId: row.node_id,
      cursor: row.cursor_xid && row.cursor_seq ? { xid: row.cursor_xid, seq: row.cursor_seq } : null,
      acknowledged: row.acked_xid && row.acked_seq ? { xid: row.acked_xid, seq: row.acked_seq } : null,
      lastAppliedAtMs: row.last_applied_at?.getTime() ?? null,
      appliedChanges: Number(row.applied_changes),
      conflictsResolved: Number(row.conflicts_resolved),
      errors: Number(row.errors),
      lastError: row.last_error,
      lastErrorAtMs: row.last_error_at?.getTime() ?? null,
    }));
  }

  async purge(request: PurgeRequest): Promise<PurgeOutcome> {
    if (request.knownPeers.length === 0) return { purged: 0, purgedUpTo: this.purgedUpTo };
    const progress = new Map((await this.peerProgress()).map((peer) => [peer.peerId, peer]));
    let horizon: Cursor | null = null;
    for (const peerId of request.knownPeers) {
      const acknowledged = progress.get(peerId)?.acknowledged ?? null;
      if (acknowledged === null) return { purged: 0, purgedUpTo: this.purgedUpTo };
      if (horizon === null || compareCursors(acknowledged, horizon) < 0) horizon = acknowledged;
    }
    const cutoffMs = (request.nowMs ?? this.getNowMs()) - request.retentionMs;
    const cutoffHex = Math.max(0, Math.floor(cutoffMs)).toString(16).padStart(12, '0');
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await client.query<{ xid: string; seq: string; purged: number }>(
        `WITH gone AS (
           DELETE FROM ${LOG}
           WHERE deleted_hlc IS NOT NULL AND deleted_hlc = max_hlc
             AND (xid, seq) <= ($1::xid8, $2::bigint) AND left(deleted_hlc, 12) < $3
           RETURNING xid, seq)
         SELECT (SELECT count(*) FROM gone)::int AS purged, top.xid::text AS xid, top.seq::text AS seq
         FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT xid, seq FROM gone ORDER BY xid DESC, seq DESC LIMIT 1) top ON true`,
        [horizon!.xid, horizon!.seq, cutoffHex],
      );
      const row = result.rows[0]!;
      if (row.purged > 0) {
        const position = { xid: row.xid, seq: row.seq };
        if (this.purgedUpTo === null || compareCursors(position, this.purgedUpTo) > 0) {
          await client.query(`UPDATE ${SYNC_SCHEMA}.node SET purged_up_to_xid = $1::xid8, purged_up_to_seq = $2::bigint`, [position.xid, position.seq]);
          this.purgedUpTo = position;
        }
      }
      await client.query('COMMIT');
      return { purged: row.purged, purgedUpTo: this.purgedUpTo };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  // ---- notifications ----

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    if (this.pollIntervalMs !== undefined || this.gateFollower) {
      if (!this.pollTimer) this.poll(this.pollIntervalMs ?? POLL_REPOKE_MS);
    } else if (!this.listenClient && !this.listenTimer) {
      this.listen();
    }
    return () => {
      this.listeners.delete(listener);
      // nobody to tell: stop asking (the connection stays for the next listener)
      if (this.listeners.size === 0 && this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
      }
    };
  }

  /**
   * Poll mode: one dedicated connection asks, every interval, whether committed local writes wait to be folded
   * or the change log moved (an apply that others may want relayed). Only committed rows count: a sequence
   * would move before the commit and the poke would come too early.
   */
  private poll(intervalMs: number): void {
    const probe = `SELECT EXISTS (SELECT 1 FROM ${SYNC_SCHEMA}.capture_log) AS unfolded,
      (SELECT xid::text || '/' || seq::text FROM ${LOG} ORDER BY xid DESC, seq DESC LIMIT 1) AS head`;
    let client = this.listenClient;
    if (!client) {
      const opened = new Client(sessionConnection(this.connectionString));
      client = this.listenClient = opened;
      opened.on('error', () => undefined);
      this.listenReady = opened.connect().then(async () => {
        this.polledHead = (await opened.query<{ head: string | null }>(probe)).rows[0]?.head;
      });
    }
    const polling = client;
    let lastFiredMs = 0;
    let busy = false;
    this.pollTimer = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      this.listenReady
        .then(() => polling.query<{ unfolded: boolean; head: string | null }>(probe))
        .then((result) => {
          const { unfolded, head } = result.rows[0]!;
          const nowMs = Date.now();
          // unfolded entries poke again every POLL_REPOKE_MS until someone pulls (and so folds) them
          if (head !== this.polledHead || (unfolded && nowMs - lastFiredMs >= POLL_REPOKE_MS)) {
            this.polledHead = head;
            lastFiredMs = nowMs;
            for (const listener of this.listeners) listener();
          }
        })
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    }, intervalMs);
    this.pollTimer.unref();
  }

  private listenedBefore = false;
  /** Notify mode without the gate's lock: another connection drives the gate, so this store polls as well. */
  private gateFollower = false;

  private listen(): void {
    if (this.closed) return;
    const client = new Client(sessionConnection(this.connectionString));
    this.listenClient = client;
    let gate: NotifyGate | undefined;
    const tell = (committedRow?: RowChange) => {
      for (const listener of this.listeners) listener(committedRow);
    };
    const retry = () => {
      gate?.stop();
      if (this.listenClient !== client) return;
      this.listenClient = undefined;
      this.gateFollower = false;
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      client.end().catch(() => undefined);
      if (this.closed || this.listeners.size === 0) return;
      this.listenTimer = setTimeout(() => {
        this.listenTimer = undefined;
        this.listen();
      }, LISTEN_RECONNECT_DELAY_MS);
      this.listenTimer.unref();
    };
    // The NOTIFYs of one read (commits that came together) make one poke. Their payloads are hints at most
    // (committedRows.ts): the rows they point at are read from the log, on this connection, before the poke.
    let burst = false;
    const positions = new Set<string>();
    const reads = new RowsAheadReads();
    const pokeForBurst = () => {
      burst = false;
      const hinted = [...positions];
      positions.clear();
      gate?.notified();
      const reading = hinted.length > 0 ? reads.start(() => this.committedRows(client, hinted)) : null;
      if (reading === null) return tell();
      void reading.then((rows) => {
        if (rows.length === 0) tell();
        for (const row of rows) tell(row);
      });
    };
    client.on('notification', (message) => {
      if (!burst) {
        burst = true;
        setImmediate(pokeForBurst);
      }
      const position = notifiedPosition(message.payload ?? '');
      if (position !== null && positions.size < ROWS_AHEAD_MAX_POSITIONS) positions.add(position);
    });
    client.on('error', retry);
    client.on('end', retry);
    const reconnecting = this.listenedBefore;
    this.listenedBefore = true;
    this.listenReady = client
      .connect()
      .then(async () => {
        const results = (await client.query(
          `SET synchronous_commit = off; LISTEN ${CHANGE_CHANNEL}; SELECT pg_try_advisory_lock(${NOTIFY_GATE_LOCK_KEY}) AS driver`,
        )) as unknown as { rows: { driver?: boolean }[] }[];
        if (results[2]!.rows[0]!.driver) {
          gate = new NotifyGate(client, tell, retry);
          await gate.start();
        } else {
          // another connection drives the gate (a second service on this database, or the connection of one that
          // went away without closing it) and may close it: poll too, and try for the lock again later
          this.gateFollower = true;
          if (this.listeners.size > 0) this.poll(POLL_REPOKE_MS);
          setTimeout(retry, GATE_FOLLOWER_RETRY_MS).unref();
        }
        // Commits made while the LISTEN connection was down notified nobody: poke once after reconnecting.
        if (reconnecting) tell();
      })
      .catch(retry);
  }

  /** The committed rows that capture positions point at (committedRows.ts), read under this service's role. */
  private async committedRows(client: ClientBase, positions: readonly string[]): Promise<RowChange[]> {
    const result = (await client.query({ name: 'msk_rows_ahead', text: this.rowsAheadSql, values: [positions], rowMode: 'array' })) as unknown as ArrayResult;
    const fields = this.logFields(result);
    return result.rows.map((row) => this.changeOf(row, fields)).filter((change): change is RowChange => change !== null);
  }

  /** Resolves once the LISTEN connection is ready (tests and the benchmark wait for it). */
  listening(): Promise<void> {
    return this.listenReady;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    clearTimeout(this.listenTimer);
    clearInterval(this.pollTimer);
    const listenClient = this.listenClient;
    this.listenClient = undefined;
    await listenClient?.end().catch(() => undefined);
    await this.persistAcks().catch(() => undefined);
    await this.pool.end();
  }
}
