/**
 * What every part of the PostgreSQL store shares: the pool and its prepared statements, the replicated tables
 * and their lookups, this node's identity and clock, the purge horizon and whether the store is closed.
 * The parts (changeReader, batchApplier, captureFolder, peerCursors, changeNotifier) each hold one of these.
 */
import type { ClientBase, Pool, PoolClient, PoolConfig } from 'pg';
import type { Cursor } from '../core/protocol';
import type { ReplicatedTable } from '../core/tableSchema';
import { columnNames, orderTablesByDependency, schemaVersionOf } from '../core/tableSchema';
import { LogRows } from './logRows';
import { APPLY_LOCK_KEY, ORIGIN_SETTING } from './sql';
import type { LockQuery } from './storeStatements';
import { foldSql, freshInsertParamTypes, freshInsertText, lockQueriesOf } from './storeStatements';

/**
 * Session settings of the store's connections: stable text forms whatever the server defaults are (and string
 * literals without backslash escapes, though the literals the store writes mean the same either way: see
 * quoteLiteral), and no sequential scans — every store query is keyed (log position, primary keys, unique keys),
 * and a freshly filled change log without statistics would otherwise be scanned whole on every pull.
 */
const SESSION_OPTIONS =
  '-c standard_conforming_strings=on -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=1 -c enable_seqscan=off';

/**
 * A connection with the store's session settings. Options in the URL (`?options=...` in DATABASE_URL) would
 * replace them (node-postgres lets the URL win): they are kept, followed by the store's, which PostgreSQL then
 * applies last.
 */
export function sessionConnection(connectionString: string): { connectionString: string; options: string } {
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

export function poolConfig(connectionString: string, max: number): PoolConfig {
  return { ...sessionConnection(connectionString), max, idleTimeoutMillis: 30_000 };
}

export function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const detail = 'detail' in error && error.detail ? ` (${String(error.detail)})` : '';
  return `${error.message}${detail}`;
}

export interface StoreContextProps {
  readonly pool: Pool;
  readonly connectionString: string;
  readonly nodeId: string;
  readonly tables: readonly ReplicatedTable[];
  readonly purgedUpTo: Cursor | null;
  readonly incarnation: string;
  /** @default Date.now */
  readonly getNowMs?: () => number;
  readonly maxFutureDriftMs?: number;
}

export class StoreContext {
  readonly pool: Pool;
  readonly connectionString: string;
  readonly nodeId: string;
  readonly tables: readonly ReplicatedTable[];
  readonly orderedTables: readonly ReplicatedTable[];
  readonly tableByName: ReadonlyMap<string, ReplicatedTable>;
  readonly tableIndex: ReadonlyMap<string, number>;
  readonly schemaVersion: string;
  readonly incarnation: string;
  readonly getNowMs: () => number;
  readonly maxFutureDriftMs: number | undefined;
  /** The change log's reads and their decoding (logRows.ts). */
  readonly logRows: LogRows;
  /** Prepared row locks + state reads of the apply, per table and per way of finding rows (see lockQueriesOf). */
  readonly lockQueries: ReadonlyMap<string, LockQuery>;
  /** The newest change-log position purged (readers behind it must load a snapshot). */
  purgedUpTo: Cursor | null;
  closed = false;
  private readonly foldSql: string;
  private readonly freshFoldSql: string;
  private readonly preparedClients = new WeakSet<ClientBase>();

  constructor(props: StoreContextProps) {
    this.pool = props.pool;
    this.connectionString = props.connectionString;
    this.nodeId = props.nodeId;
    this.tables = props.tables;
    this.orderedTables = orderTablesByDependency(props.tables);
    this.tableByName = new Map(props.tables.map((table) => [table.name, table]));
    this.tableIndex = new Map(props.tables.map((table, index) => [table.name, index]));
    this.schemaVersion = schemaVersionOf(props.tables);
    this.incarnation = props.incarnation;
    this.getNowMs = props.getNowMs ?? Date.now;
    this.maxFutureDriftMs = props.maxFutureDriftMs;
    this.purgedUpTo = props.purgedUpTo;
    this.logRows = new LogRows(
      props.nodeId,
      props.tables,
      props.tables.map((table) => new Set(columnNames(table))),
    );
    this.lockQueries = lockQueriesOf(props.tables);
    this.foldSql = foldSql(
      props.nodeId,
      props.tables.map((table) => table.name),
    );
    this.freshFoldSql = foldSql(
      props.nodeId,
      props.tables.map((table) => table.name),
      'fresh',
    );
  }

  /**
   * A pooled connection with the fold, the log read, the apply's row locks and its fresh-row inserts prepared on
   * it: planning them cost ~0.4-0.6 ms per call (measured), more than running them, and every pull and apply runs
   * several.
   */
  async connect(): Promise<PoolClient> {
    const client = await this.pool.connect();
    if (!this.preparedClients.has(client)) {
      try {
        const locks = [...this.lockQueries.values()].map(
          (query) =>
            `PREPARE ${query.data}(${query.paramType}) AS ${query.dataSql}; PREPARE ${query.states}(${query.paramType}, uuid[]) AS ${query.statesSql}`,
        );
        const freshInserts = this.tables.map(
          (table, index) => `PREPARE msk_fresh_${index}(${freshInsertParamTypes(table)}) AS ${freshInsertText(table)}`,
        );
        await client.query(
          [
            `PREPARE msk_fold AS ${this.foldSql}`,
            `PREPARE msk_fold_fresh AS ${this.freshFoldSql}`,
            `PREPARE msk_read(xid8, bigint, int, int) AS ${this.logRows.readSql}`,
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

  /**
   * The opening statements of every transaction that writes the change log (an apply, a fold): the apply lock, and
   * synchronous_commit off as PostgreSQL's own subscriptions do — a crash loses the last applies together with
   * their cursor, so they are pulled again. An apply also sets the peer as origin (a validated hex node id: safe
   * inline), which makes the capture triggers stand aside.
   */
  writerOpening(fromPeer?: string): string {
    const origin = fromPeer === undefined ? '' : ` SET LOCAL ${ORIGIN_SETTING} = '${fromPeer}';`;
    return `BEGIN; SELECT pg_advisory_xact_lock(${APPLY_LOCK_KEY});${origin} SET LOCAL synchronous_commit = off`;
  }
}
