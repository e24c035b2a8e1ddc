/**
 * The change log as the store reads it: the page read behind the xid fence, the snapshot read, the read of
 * committed rows a NOTIFY points at, and the decoding of their rows (rowMode 'array') into RowChanges.
 */
import type { RowChange } from '../core/protocol';
import type { ColumnValue } from '../core/rowState';
import type { ReplicatedTable } from '../core/tableSchema';
import { ROWS_AHEAD_MAX_POSITIONS } from './committedRows';
import { SYNC_SCHEMA, canonicalText, qualified, quoteIdent, quoteLiteral } from './sql';

export const LOG = `${SYNC_SCHEMA}.change_log`;

/** A query result read with rowMode 'array'. */
export interface ArrayResult {
  rows: unknown[][];
  fields: { name: string }[];
}

/** Positions of a change-log read's columns by name (tbl, pk, …, t<i>_present); `values[i]`: the value columns of
 * table i (t<i>_<j>, see valueColumns) as [column, position]. */
export interface LogFields {
  readonly position: Readonly<Record<string, number>>;
  readonly values: readonly (readonly (readonly [string, number])[])[];
}

/**
 * A stash (the values of a row not in its table) with every column of the table: a column added by a migration
 * after the row left its table has its default there.
 */
export function completeStash(
  table: ReplicatedTable,
  stash: Record<string, ColumnValue> | null,
): Record<string, ColumnValue> {
  if (!stash) return {};
  if (table.columns.every((column) => column.name in stash)) return stash;
  const complete: Record<string, ColumnValue> = {};
  for (const column of table.columns)
    complete[column.name] = column.name in stash ? stash[column.name]! : (column.defaultText ?? null);
  return complete;
}

export class LogRows {
  /** The page after a cursor ($1, $2), up to $3 rows, with the count of what lies after the cursor (up to $4). */
  readonly readSql: string;
  readonly snapshotSql: string;
  /** A page of the initial load (snapshotPageReader.ts): up to $3 entries after ($1, $2) below the fence $4 (null:
   * the fence now), never above the fence now. */
  readonly pageBelowFenceSql: string;
  /** The committed rows a NOTIFY's capture positions ($1) point at (committedRows.ts). */
  readonly rowsAheadSql: string;
  /** Per replicated table (same order as `tables`): [column name, result column] of its values in a log read. */
  private readonly valueColumns: readonly (readonly (readonly [string, string])[])[];
  private readonly tableIndex: ReadonlyMap<string, number>;

  constructor(
    nodeId: string,
    private readonly tables: readonly ReplicatedTable[],
    private readonly columnSets: readonly ReadonlySet<string>[],
  ) {
    this.tableIndex = new Map(tables.map((table, index) => [table.name, index]));
    // Each table's values as plain text columns of a lateral join (t<i>_<j>; t<i>_present when the row is in its
    // table): PostgreSQL builds and node-postgres parses no JSON on the hot read path. OFFSET 0 keeps each lateral
    // subquery apart, so its l.tbl test is a one-time gate per row and only the row's own table is probed.
    this.valueColumns = tables.map((table, i) =>
      table.columns.map((column, j) => [column.name, `t${i}_${j}`] as const),
    );
    const valueJoins = tables
      .map((table, i) => {
        const selected = table.columns.map(
          (column, j) => `${canonicalText(`d.${quoteIdent(column.name)}`, column.type)} AS t${i}_${j}`,
        );
        return `LEFT JOIN LATERAL (SELECT true AS t${i}_present, ${selected.join(', ')} FROM ${qualified(table)} d
                  WHERE l.tbl = ${quoteLiteral(table.name)} AND d.${quoteIdent(table.primaryKey)} = l.pk OFFSET 0) v${i} ON true`;
      })
      .join('\n');
    const valueSelect = tables
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
    this.pageBelowFenceSql = `
      SELECT f.fence::text AS fence, page.*
      FROM (SELECT least(coalesce($4::xid8, pg_snapshot_xmin(pg_current_snapshot())), pg_snapshot_xmin(pg_current_snapshot())) AS fence) f
      LEFT JOIN LATERAL (
        SELECT ${columns} FROM ${LOG} l ${valueJoins}
        WHERE (l.xid, l.seq) > ($1::xid8, $2::bigint) AND l.xid < f.fence
        ORDER BY l.xid, l.seq
        LIMIT $3
      ) page ON true`;
    // capture entries in the change-log read's shape (l is the capture log here): an INSERT, the only entry of its
    // row in both logs, its row in its table
    const present = tables.map((_, i) => `v${i}.t${i}_present`).join(', ');
    this.rowsAheadSql = `
      SELECT l.tbl, l.pk::text AS pk, l.hlc, NULL::jsonb AS column_hlcs, NULL::text AS deleted_hlc, NULL::jsonb AS stash,
             ${quoteLiteral(nodeId)}::text AS origin, l.xid::text AS xid, l.seq::text AS seq, ${valueSelect}
      FROM ${SYNC_SCHEMA}.capture_log l
      ${valueJoins}
      WHERE l.seq = ANY($1::bigint[]) AND l.op = 'I' AND coalesce(${present}, false)
        AND NOT EXISTS (SELECT 1 FROM ${SYNC_SCHEMA}.capture_log o WHERE o.tbl = l.tbl AND o.pk = l.pk AND o.seq <> l.seq)
        AND NOT EXISTS (SELECT 1 FROM ${LOG} c WHERE c.tbl = l.tbl AND c.pk = l.pk)
      ORDER BY l.seq
      LIMIT ${ROWS_AHEAD_MAX_POSITIONS}`;
  }

  /** Column positions of a change-log read (rowMode 'array'), by name. */
  fields(result: ArrayResult): LogFields {
    const position: Record<string, number> = {};
    result.fields.forEach((field, index) => (position[field.name] = index));
    return {
      position,
      values: this.valueColumns.map((columns) => columns.map(([column, field]) => [column, position[field]!] as const)),
    };
  }

  /** The wire form straight from the log row (already compact: base stamp + per-column exceptions). */
  changeOf(row: readonly unknown[], fields: LogFields): RowChange | null {
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
      columnHlcs = Object.fromEntries(
        Object.entries(columnHlcs).filter(([column]) => this.columnSets[index]!.has(column)),
      );
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

  /** Every change of a rowMode 'array' result that belongs to a replicated table. */
  changesOf(result: ArrayResult): RowChange[] {
    const fields = this.fields(result);
    return result.rows
      .map((row) => this.changeOf(row, fields))
      .filter((change): change is RowChange => change !== null);
  }
}
