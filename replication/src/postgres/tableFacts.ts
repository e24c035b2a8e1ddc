/**
 * Reads what core/tableRequirements.ts judges and what introspection builds on: the configured tables' columns,
 * keys, unique indexes and foreign keys from PostgreSQL's catalog (schema public). Six queries, no judgement.
 */
import type { ClientBase, Pool } from 'pg';
import type { ColumnFacts, SchemaFacts, TableFacts } from '../core/tableRequirements';

export interface ColumnRow {
  table_name: string;
  name: string;
  type: string;
  type_kind: ColumnFacts['typeKind'];
  generated: string;
  identity: string;
  position: number;
  default_expr: string | null;
}

export interface TableCatalog {
  readonly facts: SchemaFacts;
  /** The raw column rows (introspection evaluates the constant defaults among them). */
  readonly columns: readonly ColumnRow[];
}

/** `nextval('orders_id_seq'::regclass)` → orders_id_seq (what serial and bigserial columns default to). */
export function sequenceOfDefault(defaultExpr: string | null): string | null {
  const match = defaultExpr === null ? null : /^nextval\('((?:[^']|'')+)'(?:::regclass)?\)$/.exec(defaultExpr);
  return match ? (match[1] as string).replace(/''/g, "'") : null;
}

export async function readTableCatalog(
  client: ClientBase | Pool,
  tableNames: readonly string[],
): Promise<TableCatalog> {
  const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  const existing = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])`,
    [tableNames],
  );
  const columns = await client.query<ColumnRow>(
    `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            CASE WHEN t.typtype = 'c' THEN 'composite' WHEN t.typtype = 'b' AND t.typcategory = 'A' THEN 'array' ELSE 'scalar' END AS type_kind,
            a.attgenerated AS generated, a.attidentity AS identity, a.attnum AS position,
            pg_get_expr(d.adbin, d.adrelid) AS default_expr
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_type t ON t.oid = a.atttypid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`,
    [tableNames],
  );
  const primaryKeys = await client.query<{ table_name: string; name: string; columns: string[] }>(
    `SELECT c.relname AS table_name, ic.relname AS name, array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_class ic ON ic.oid = i.indexrelid
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND i.indisprimary
     GROUP BY c.relname, ic.relname`,
    [tableNames],
  );
  const uniques = await client.query<{ table_name: string; name: string; columns: string[] | null; partial: boolean }>(
    `SELECT c.relname AS table_name, ic.relname AS name, i.indpred IS NOT NULL AS partial,
            CASE WHEN i.indexprs IS NULL THEN
              (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) END AS columns
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND i.indisunique AND NOT i.indisprimary
     ORDER BY c.relname, ic.relname`,
    [tableNames],
  );
  const foreignKeys = await client.query<{
    table_name: string;
    name: string;
    columns: string[];
    referenced_schema: string;
    referenced_table: string;
  }>(
    `SELECT c.relname AS table_name, con.conname AS name, rn.nspname AS referenced_schema, rc.relname AS referenced_table,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND con.contype = 'f'
     ORDER BY c.relname, con.conname`,
    [tableNames],
  );
  const found = new Set(existing.rows.map((row) => row.name));
  const tables: TableFacts[] = tableNames
    .filter((name, index) => found.has(name) && tableNames.indexOf(name) === index)
    .map((name) => {
      const pk = primaryKeys.rows.find((row) => row.table_name === name);
      return {
        name,
        columns: columns.rows
          .filter((row) => row.table_name === name)
          .map((row) => ({
            name: row.name,
            type: row.type,
            typeKind: row.type_kind,
            identity: row.identity !== '',
            generated: row.generated !== '',
            sequence: sequenceOfDefault(row.default_expr),
          })),
        primaryKey: pk?.columns ?? [],
        primaryKeyName: pk?.name ?? null,
        uniques: uniques.rows
          .filter((row) => row.table_name === name)
          .map((row) => ({ name: row.name, columns: row.columns, partial: row.partial })),
        foreignKeys: foreignKeys.rows
          .filter((row) => row.table_name === name)
          .map((row) => ({
            name: row.name,
            columns: row.columns,
            referencedSchema: row.referenced_schema,
            referencedTable: row.referenced_table,
          })),
      };
    });
  return { facts: { serverVersionNum: Number(version.rows[0]?.v ?? 0), tables }, columns: columns.rows };
}
