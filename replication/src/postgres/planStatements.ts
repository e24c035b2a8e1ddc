/**
 * The SQL that writes an apply plan (store/applyPlanner.ts): rows leaving and entering their tables, the states
 * in the change log, rows moving between pending and materialized, and the unique conflicts resolved.
 */
import { compactVersions, newestHlc } from '../core/rowState';
import type { ColumnValue } from '../core/rowState';
import type { ReplicatedTable } from '../core/tableSchema';
import type { ApplyPlan } from '../store/applyPlanner';
import { LOG } from './logRows';
import { SYNC_SCHEMA, qualified, quoteIdent } from './sql';
import type { Sql, StateRecord } from './storeStatements';
import { writeStatesSql } from './storeStatements';

function valuesEqual(a: Readonly<Record<string, ColumnValue>>, b: Readonly<Record<string, ColumnValue>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => (a[key] ?? null) === (b[key] ?? null));
}

/** Upsert of whole rows from one array per column, typed with the column's own type. */
function upsertSql(table: ReplicatedTable, rows: readonly Readonly<Record<string, ColumnValue>>[]): Sql {
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

/** The SQL statements that write a plan (run together, in this order, inside the apply's transaction);
 * `orderedTables`: parents before children. */
export function planStatements(plan: ApplyPlan, fromPeer: string, orderedTables: readonly ReplicatedTable[]): Sql[] {
  const statements: Sql[] = [];
  if (plan.writes.length === 0) return statements;
  // rows leaving their table: children first
  for (const table of [...orderedTables].reverse()) {
    const leaving = plan.writes
      .filter((w) => w.table.name === table.name && w.before?.materialized && !w.materialize)
      .map((w) => w.pk);
    if (leaving.length === 0) continue;
    statements.push({
      text: `DELETE FROM ${qualified(table)} WHERE ${quoteIdent(table.primaryKey)} = ANY($1::uuid[])`,
      params: [leaving],
    });
  }
  // rows entering or changing: parents first; within a table, rows already there change first, so a row
  // renamed by a unique conflict frees its value before the winner of that value is inserted
  for (const table of orderedTables) {
    const writes = plan.writes.filter(
      (w) =>
        w.table.name === table.name &&
        w.materialize &&
        !(w.before?.materialized && valuesEqual(w.before.state.values, w.state.values)),
    );
    if (writes.length === 0) continue;
    const changing = writes.filter((w) => w.before?.materialized);
    const entering = writes.filter((w) => !w.before?.materialized);
    if (changing.length > 0)
      statements.push(
        upsertSql(
          table,
          changing.map((w) => w.state.values),
        ),
      );
    if (entering.length > 0)
      statements.push(
        upsertSql(
          table,
          entering.map((w) => w.state.values),
        ),
      );
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
