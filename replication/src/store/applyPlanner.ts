/**
 * Decides what applying a batch of row states does to a store: merge, materialization (a live row whose parent
 * row is not here waits as "pending" instead of breaking the foreign key), unique-conflict renames. No I/O of its
 * own: it asks a LocalView (batched look-ups) and returns the writes; both stores execute the same plan, so they
 * behave the same.
 */
import type { ValidChange } from '../core/protocol';
import type { RowState } from '../core/rowState';
import { isRowAlive, mergeRowStates, rowStatesEqual } from '../core/rowState';
import type { ReplicatedTable } from '../core/tableSchema';
import { orderTablesByDependency } from '../core/tableSchema';
import { resolveUniqueConflicts } from '../core/uniqueConflicts';
import type { UniqueKey } from '../core/tableSchema';
import type { UniqueConflictRecord } from './replicationStore';

export interface LocalRow {
  readonly pk: string;
  readonly state: RowState;
  /** The row exists in the real table (live and its parents present). */
  readonly materialized: boolean;
  readonly origin: string;
}

/** Batched reads a plan needs; the PostgreSQL view runs them in the apply transaction, with row locks. */
export interface LocalView {
  /**
   * @param uniqueHints per unique key (by name), the values the plan will probably ask `uniqueHolders` for: a view
   * may look them up in the same round trip and answer that call from it.
   */
  loadRows(
    table: ReplicatedTable,
    pks: readonly string[],
    uniqueHints?: ReadonlyMap<string, readonly string[]>,
  ): Promise<Map<string, LocalRow>>;
  /** Which of `pks` exist in the real table. */
  materializedPks(table: ReplicatedTable, pks: readonly string[]): Promise<Set<string>>;
  /** Materialized rows of `table` whose `column` is one of `parentPks`. */
  materializedChildren(table: ReplicatedTable, column: string, parentPks: readonly string[]): Promise<LocalRow[]>;
  /** Pending rows of `table` waiting for one of `parentPks`. */
  pendingChildren(table: ReplicatedTable, parentPks: readonly string[]): Promise<LocalRow[]>;
  /** Materialized rows of `table` holding one of `values` of the unique `key` (values joined with U+001F). */
  uniqueHolders(table: ReplicatedTable, key: UniqueKey, values: readonly string[]): Promise<LocalRow[]>;
}

export interface PlannedWrite {
  readonly table: ReplicatedTable;
  readonly pk: string;
  readonly before: LocalRow | null;
  readonly state: RowState;
  readonly origin: string;
  /** The replicated state changed: store it at a new log position (so it is passed on). */
  readonly stateChanged: boolean;
  readonly materialize: boolean;
  /** Set when the row is live but waits for this parent row. */
  readonly pendingParent: string | null;
}

export interface ApplyPlan {
  /** Every row the apply touches, tables in dependency order (parents first). */
  readonly writes: readonly PlannedWrite[];
  readonly unchanged: number;
  readonly conflicts: readonly UniqueConflictRecord[];
}

function uniqueValueOf(state: RowState, key: UniqueKey): string | null {
  const parts: string[] = [];
  for (const column of key.columns) {
    const value = state.values[column];
    if (value === null || value === undefined) return null;
    parts.push(value);
  }
  return parts.join('\u001f');
}

interface MutablePlanned {
  table: ReplicatedTable;
  pk: string;
  before: LocalRow | null;
  state: RowState;
  origin: string;
  materialize: boolean;
  pendingParent: string | null;
}

/** Merges several states of the same row in one batch into one (origin '' when the result is nobody's state). */
export function mergeDuplicateChanges(changes: readonly ValidChange[]): ValidChange[] {
  const byKey = new Map<string, ValidChange>();
  for (const change of changes) {
    const key = `${change.table}\u0000${change.pk}`;
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, change);
      continue;
    }
    const merged = mergeRowStates(existing.state, change.state);
    const origin = rowStatesEqual(merged, existing.state)
      ? existing.origin
      : rowStatesEqual(merged, change.state)
        ? change.origin
        : '';
    byKey.set(key, { ...change, state: merged, origin });
  }
  return [...byKey.values()];
}

export async function planApply(
  view: LocalView,
  tables: readonly ReplicatedTable[],
  incoming: readonly ValidChange[],
  selfNodeId: string,
): Promise<ApplyPlan> {
  const ordered = orderTablesByDependency(tables);
  const children = new Map<string, { table: ReplicatedTable; column: string }[]>();
  for (const table of ordered) {
    for (const foreignKey of table.foreignKeys) {
      const list = children.get(foreignKey.references) ?? [];
      list.push({ table, column: foreignKey.column });
      children.set(foreignKey.references, list);
    }
  }
  const planned = new Map<string, Map<string, MutablePlanned>>(ordered.map((table) => [table.name, new Map()]));
  const incomingByTable = new Map<string, ValidChange[]>();
  for (const change of mergeDuplicateChanges(incoming)) {
    const list = incomingByTable.get(change.table) ?? [];
    list.push(change);
    incomingByTable.set(change.table, list);
  }
  let unchanged = 0;
  const conflicts: UniqueConflictRecord[] = [];
  const tableNamed = new Map(ordered.map((table) => [table.name, table]));

  const addUntouched = (table: ReplicatedTable, row: LocalRow) => {
    const rows = planned.get(table.name)!;
    if (rows.has(row.pk)) return;
    rows.set(row.pk, {
      table,
      pk: row.pk,
      before: row,
      state: row.state,
      origin: row.origin,
      materialize: row.materialized,
      pendingParent: null,
    });
  };

  for (const table of ordered) {
    const rows = planned.get(table.name)!;
    // 1. merge incoming states with what is here
    const changes = incomingByTable.get(table.name) ?? [];
    if (changes.length > 0) {
      const hints = new Map(
        table.uniqueKeys.map((key) => [
          key.name,
          [
            ...new Set(
              changes
                .filter((change) => isRowAlive(change.state))
                .map((change) => uniqueValueOf(change.state, key))
                .filter((v): v is string => v !== null),
            ),
          ],
        ]),
      );
      const local = await view.loadRows(
        table,
        changes.map((change) => change.pk),
        hints,
      );
      for (const change of changes) {
        const before = rows.get(change.pk)?.before ?? local.get(change.pk) ?? null;
        const merged = before ? mergeRowStates(before.state, change.state) : change.state;
        if (before && rowStatesEqual(before.state, merged)) {
          unchanged += 1;
          continue;
        }
        // the origin is the node that has exactly this state; the log never sends a state back to its origin
        const origin = change.origin !== '' && rowStatesEqual(merged, change.state) ? change.origin : selfNodeId;
        rows.set(change.pk, {
          table,
          pk: change.pk,
          before,
          state: merged,
          origin,
          materialize: false,
          pendingParent: null,
        });
      }
    }
    if (rows.size === 0) continue;

    // 2. materialization: live rows need every parent present
    const missingParent = new Map<string, string>();
    for (const foreignKey of table.foreignKeys) {
      const parentTable = tableNamed.get(foreignKey.references);
      if (!parentTable) continue;
      const parentPlan = planned.get(parentTable.name)!;
      const unknownParents = new Set<string>();
      for (const row of rows.values()) {
        const parentPk = row.state.values[foreignKey.column];
        if (parentPk && isRowAlive(row.state) && !parentPlan.has(parentPk)) unknownParents.add(parentPk);
      }
      const present =
        unknownParents.size > 0 ? await view.materializedPks(parentTable, [...unknownParents]) : new Set<string>();
      for (const row of rows.values()) {
        const parentPk = row.state.values[foreignKey.column];
        if (!parentPk || missingParent.has(row.pk)) continue;
        const parentRow = parentPlan.get(parentPk);
        const parentThere = parentRow ? parentRow.materialize : present.has(parentPk);
        if (!parentThere) missingParent.set(row.pk, parentPk);
      }
    }
    for (const row of rows.values()) {
      const alive = isRowAlive(row.state);
      row.materialize = alive && !missingParent.has(row.pk);
      row.pendingParent = alive ? (missingParent.get(row.pk) ?? null) : null;
    }

    // 3. unique values: rows about to exist compete with rows already here
    for (const key of table.uniqueKeys) {
      const candidates = [...rows.values()].filter((row) => row.materialize);
      const values = [
        ...new Set(candidates.map((row) => uniqueValueOf(row.state, key)).filter((v): v is string => v !== null)),
      ];
      if (values.length === 0) continue;
      const holders = (await view.uniqueHolders(table, key, values)).filter((holder) => {
        const plannedHolder = rows.get(holder.pk);
        return !plannedHolder; // a planned row competes with its planned state instead
      });
      const resolutions = resolveUniqueConflicts(
        [
          ...candidates.map((row) => ({ pk: row.pk, state: row.state })),
          ...holders.map((h) => ({ pk: h.pk, state: h.state })),
        ],
        key,
      );
      for (const resolution of resolutions) {
        let loser = rows.get(resolution.loserPk);
        if (!loser) {
          const holder = holders.find((h) => h.pk === resolution.loserPk)!;
          addUntouched(table, holder);
          loser = rows.get(resolution.loserPk)!;
        }
        loser.state = resolution.loserState;
        loser.origin = selfNodeId;
        conflicts.push({
          table: table.name,
          constraint: resolution.constraint,
          winnerPk: resolution.winnerPk,
          loserPk: resolution.loserPk,
          renamedColumn: resolution.renamedColumn,
          renamedTo: resolution.renamedTo,
        });
      }
    }

    // 4. rows leaving the table take their materialized children out with them (they wait as pending);
    //    rows entering it bring back children that were waiting for them
    const leaving = [...rows.values()]
      .filter((row) => row.before?.materialized && !row.materialize)
      .map((row) => row.pk);
    const entering = [...rows.values()]
      .filter((row) => row.materialize && !row.before?.materialized)
      .map((row) => row.pk);
    for (const child of children.get(table.name) ?? []) {
      if (leaving.length > 0) {
        for (const row of await view.materializedChildren(child.table, child.column, leaving))
          addUntouched(child.table, row);
      }
      if (entering.length > 0) {
        for (const row of await view.pendingChildren(child.table, entering)) addUntouched(child.table, row);
      }
    }
  }

  const writes: PlannedWrite[] = [];
  for (const table of ordered) {
    for (const row of planned.get(table.name)!.values()) {
      const stateChanged = !row.before || !rowStatesEqual(row.before.state, row.state);
      if (!stateChanged && row.before?.materialized === row.materialize) continue;
      writes.push({ ...row, stateChanged });
    }
  }
  return { writes, unchanged, conflicts };
}
