/**
 * Per-table order-independent hashes of a PostgreSQL database's replicated tables (engine/tableHash.ts over the
 * canonical values), read in primary-key pages so large tables need little memory. Nodes that converged have
 * equal hashes; fault tests compare them.
 */
import type { ClientBase, Pool } from 'pg';
import type { ColumnValue } from '../core/rowState';
import type { ReplicatedTable } from '../core/tableSchema';
import { TableHash } from '../engine/tableHash';
import { canonicalJson, qualified, quoteIdent } from './sql';

/** Rows read per page. */
export const HASH_PAGE_ROWS = 10_000;

export async function postgresTableHash(db: Pool | ClientBase, table: ReplicatedTable): Promise<string> {
  const hash = new TableHash();
  const pk = quoteIdent(table.primaryKey);
  let after: string | null = null;
  for (;;) {
    const result: { rows: { pk: string; v: Record<string, ColumnValue> }[] } = await db.query(
      `SELECT d.${pk}::text AS pk, ${canonicalJson(table, 'd')} AS v FROM ${qualified(table)} d
       WHERE $1::uuid IS NULL OR d.${pk} > $1::uuid ORDER BY d.${pk} LIMIT ${HASH_PAGE_ROWS}`,
      [after],
    );
    for (const row of result.rows) hash.add(row.v);
    if (result.rows.length < HASH_PAGE_ROWS) return hash.digest();
    after = result.rows[result.rows.length - 1]!.pk;
  }
}

export async function postgresTableHashes(
  db: Pool | ClientBase,
  tables: readonly ReplicatedTable[],
): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const table of tables) hashes[table.name] = await postgresTableHash(db, table);
  return hashes;
}
