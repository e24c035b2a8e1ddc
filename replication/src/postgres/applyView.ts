/**
 * The planner's view of the database inside one apply transaction (store/applyPlanner.ts asks it for rows):
 * rows are locked and read by prepared statements, local writes that committed before the locks are folded in
 * first, so the merge sees them.
 */
import type { ClientBase } from 'pg';
import type { ColumnValue } from '../core/rowState';
import { expandVersions } from '../core/rowState';
import type { ReplicatedTable, UniqueKey } from '../core/tableSchema';
import { columnNames } from '../core/tableSchema';
import type { LocalRow, LocalView } from '../store/applyPlanner';
import type { CaptureFolder, CapturedRow, FoldResult } from './captureFolder';
import { LOG, completeStash } from './logRows';
import { qualified, quoteIdent, quoteLiteral } from './sql';
import type { StoreContext } from './storeContext';
import type { LockKind } from './storeStatements';
import { FOLD_STATEMENT, literal, lockKey } from './storeStatements';

interface StateRow {
  pk: string;
  hlc: string;
  column_hlcs: Record<string, string> | null;
  deleted_hlc: string | null;
  stash: Record<string, ColumnValue> | null;
  origin: string;
  pending_parent: string | null;
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
export interface Runner {
  (sql: string, params?: readonly unknown[]): Promise<{ rows: unknown[] }[]>;
  readonly client: ClientBase;
}

/** A runner that sends `opening` (e.g. BEGIN …) together with the first query, saving a round trip. */
export function runnerFor(client: ClientBase, opening: string): Runner {
  let pending: string | null = opening;
  const run = async (sql: string, params?: readonly unknown[]) => {
    let text = sql;
    if (pending !== null && params !== undefined) await client.query(pending);
    else if (pending !== null) text = `${pending}; ${sql}`;
    pending = null;
    const result = (await client.query(text, params as unknown[] | undefined)) as unknown as
      { rows: unknown[] } | { rows: unknown[] }[];
    return Array.isArray(result) ? result : [result];
  };
  return Object.assign(run, { client });
}

/**
 * A stored state's versions over the table's columns, plus the stamps of columns this store does not know yet
 * (a migration ran ahead of it, and a local write of the new column was folded): kept, so the write's stamp is
 * still there when the store learns the column.
 */
function versionsKeepingUnknown(
  columns: readonly string[],
  hlc: string,
  columnHlcs: Record<string, string> | null,
): Record<string, string> {
  const versions = expandVersions(columns, { hlc, columnHlcs: columnHlcs ?? undefined });
  if (columnHlcs)
    for (const [column, stamp] of Object.entries(columnHlcs)) if (!(column in versions)) versions[column] = stamp;
  return versions;
}

function zeroStamp(nodeId: string): string {
  return '0'.repeat(20) + nodeId;
}

function localRows(
  nodeId: string,
  table: ReplicatedTable,
  data: Map<string, Record<string, ColumnValue>>,
  states: readonly StateRow[],
): Map<string, LocalRow> {
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
      state: { versions: expandVersions(columns, { hlc: zeroStamp(nodeId) }), values, deletedHlc: null },
      materialized: true,
      origin: nodeId,
    });
  }
  return rows;
}

/** The planner's view of the database inside one apply transaction; `run` sends the transaction's opening
 * statements with its first query. */
export function applyView(context: StoreContext, folder: CaptureFolder, run: Runner): LocalView {
  /** lockedRows for several lookups in the same round trip: every row lock first, one fold, then every state read. */
  const lockedRowSets = async (lookups: readonly RowLookup[]): Promise<Map<string, LocalRow>[]> => {
    const queries = lookups.map((lookup) => {
      const query = context.lockQueries.get(lockKey(lookup.table, lookup.kind));
      if (!query) throw new RangeError(`no row lock for ${lookup.table.name} by ${lookup.kind}`);
      return {
        dataSql: `EXECUTE ${query.data}(${literal(lookup.match)})`,
        statesSql: `EXECUTE ${query.states}(${literal(lookup.match)}, ${literal(lookup.extraPks ?? [])})`,
      };
    });
    const statesSql = queries.map((query) => query.statesSql).join('; ');
    const results = await run([...queries.map((query) => query.dataSql), FOLD_STATEMENT, statesSql].join('; '));
    const tail = results.slice(-(2 * lookups.length + 1));
    const dataResults = tail.slice(0, lookups.length) as { rows: { pk: string; v: Record<string, ColumnValue> }[] }[];
    const fold = tail[lookups.length] as { rows: (CapturedRow & FoldResult)[] };
    let stateResults = tail.slice(lookups.length + 1) as { rows: StateRow[] }[];
    if (fold.rows.some((row) => row.tbl !== null)) {
      await folder.foldCaptured(run.client, fold.rows);
      stateResults = (await run(statesSql)).slice(-lookups.length) as { rows: StateRow[] }[];
    }
    return lookups.map((lookup, index) =>
      localRows(
        context.nodeId,
        lookup.table,
        new Map(dataResults[index]!.rows.map((row) => [row.pk, row.v])),
        stateResults[index]!.rows,
      ),
    );
  };
  /**
   * Locks the rows of `table` found by `kind` from `match` (and reads their values), folds local writes that
   * committed before we got the locks (so the merge sees them), and reads the replicated states of those rows and
   * of `extraPks` — one round trip of prepared statements, arguments as quoted literals. Only when the fold left
   * entries to foldCaptured are the states read again after it.
   */
  const lockedRows = async (
    table: ReplicatedTable,
    kind: LockKind,
    match: readonly string[],
    extraPks: readonly string[] = [],
  ) => (await lockedRowSets([{ table, kind, match, extraPks }]))[0]!;

  const prefetchedHolders = new Map<string, Map<string, LocalRow>>();
  const holdersKey = (table: ReplicatedTable, keyName: string, values: readonly string[]) =>
    JSON.stringify([table.name, keyName, [...values].sort()]);
  return {
    loadRows: async (table, pks, uniqueHints) => {
      // the unique keys' holders the plan will probably ask for are locked and read in the same round trip
      const hinted = [...(uniqueHints ?? new Map<string, readonly string[]>())].filter(
        ([, values]) => values.length > 0,
      );
      const [rows, ...holders] = await lockedRowSets([
        { table, kind: 'pk', match: pks, extraPks: pks },
        ...hinted.map(([keyName, values]): RowLookup => ({ table, kind: `unique:${keyName}`, match: values })),
      ]);
      hinted.forEach(([keyName, values], index) =>
        prefetchedHolders.set(holdersKey(table, keyName, values), holders[index]!),
      );
      return rows!;
    },
    materializedPks: async (table, pks) => {
      const pk = quoteIdent(table.primaryKey);
      const results = await run(
        `SELECT ${pk}::text AS pk FROM ${qualified(table)} WHERE ${pk} = ANY(${literal(pks)}::uuid[]) FOR KEY SHARE`,
      );
      return new Set((results.at(-1)!.rows as { pk: string }[]).map((row) => row.pk));
    },
    materializedChildren: async (table, column, parentPks) => [
      ...(await lockedRows(table, `fk:${column}`, parentPks)).values(),
    ],
    pendingChildren: async (table, parentPks) => {
      const results = await run(
        `SELECT pk::text AS pk FROM ${LOG} WHERE tbl = ${quoteLiteral(table.name)} AND pending_parent = ANY(${literal(parentPks)}::uuid[])`,
      );
      const pks = (results.at(-1)!.rows as { pk: string }[]).map((row) => row.pk);
      if (pks.length === 0) return [];
      return [...(await lockedRows(table, 'pk', [], pks)).values()].filter((row) => !row.materialized);
    },
    uniqueHolders: async (table: ReplicatedTable, key: UniqueKey, values) => {
      const prefetched = prefetchedHolders.get(holdersKey(table, key.name, values));
      return [...(prefetched ?? (await lockedRows(table, `unique:${key.name}`, values))).values()];
    },
  };
}
