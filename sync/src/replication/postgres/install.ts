/**
 * Introspection of the replicated tables and installation of the msk_sync schema + capture triggers.
 * Idempotent: running it again (e.g. at every service start) re-creates the trigger functions and records
 * rows written while capture was off.
 */
import type { ClientBase, Pool } from 'pg';
import { NODE_ID_PATTERN } from '../core/hlc';
import type { ForeignKey, ReplicatedTable, UniqueKey } from '../core/tableSchema';
import { schemaVersionOf } from '../core/tableSchema';
import { NEVER_WRITTEN_HLC } from '../core/schemaCompatibility';
import {
  APPLY_LOCK_KEY,
  SYNC_SCHEMA,
  backfillSql,
  canonicalText,
  captureFunctionSql,
  dropTriggersSql,
  schemaSql,
  triggersSql,
} from './sql';

export class ReplicationSetupError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`replication can't be set up:\n  - ${problems.join('\n  - ')}`);
  }
}

const TEXT_TYPES = /^(text|character varying(\(\d+\))?|citext)$/;
const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface ColumnRow {
  table_name: string;
  name: string;
  type: string;
  generated: string;
  identity: string;
  position: number;
  default_expr: string | null;
}

/** A default that is a constant (a literal, maybe cast): evaluated once. Anything else (now(), a function) is not. */
const CONSTANT_DEFAULT = /^(?:'(?:[^']|'')*'|-?[0-9]+(?:\.[0-9]+)?|true|false|NULL)(?:::[a-z][a-z0-9_ ]*(?:\([0-9, ]+\))?(?:\[\])?)*$/;

/** Canonical text of each column's constant default (what a peer that lacks the column leaves in it). */
async function constantDefaults(client: ClientBase | Pool, columns: readonly ColumnRow[]): Promise<Map<ColumnRow, string | null>> {
  const result = new Map<ColumnRow, string | null>();
  const constant = columns.filter((column) => column.default_expr !== null && CONSTANT_DEFAULT.test(column.default_expr));
  if (constant.length === 0) return result;
  const select = constant.map((column, index) => `${canonicalText(`(${column.default_expr})::${column.type}`, column.type)} AS d${index}`);
  const { rows } = await client.query<Record<string, string | null>>(`SELECT ${select.join(', ')}`);
  constant.forEach((column, index) => result.set(column, rows[0]?.[`d${index}`] ?? null));
  return result;
}

/** Reads the shape of each table in schema public. Every problem is reported at once, with its fix. */
export async function introspectTables(client: ClientBase | Pool, tableNames: readonly string[]): Promise<ReplicatedTable[]> {
  const problems: string[] = [];
  for (const name of tableNames) {
    if (!TABLE_NAME.test(name)) problems.push(`table name "${name}" must be a lowercase SQL identifier in schema public`);
  }
  if (new Set(tableNames).size !== tableNames.length) problems.push('the table list names a table twice');
  if (problems.length > 0) throw new ReplicationSetupError(problems);

  const existing = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])`,
    [tableNames],
  );
  const found = new Set(existing.rows.map((row) => row.name));
  for (const name of tableNames) {
    if (!found.has(name)) problems.push(`table public.${name} does not exist: run the application's migrations first`);
  }
  if (problems.length > 0) throw new ReplicationSetupError(problems);

  const columns = await client.query<ColumnRow>(
    `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attgenerated AS generated, a.attidentity AS identity, a.attnum AS position,
            pg_get_expr(d.adbin, d.adrelid) AS default_expr
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`,
    [tableNames],
  );
  const primaryKeys = await client.query<{ table_name: string; columns: string[] }>(
    `SELECT c.relname AS table_name, array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND i.indisprimary
     GROUP BY c.relname`,
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
    referenced_columns: string[];
  }>(
    `SELECT c.relname AS table_name, con.conname AS name, rn.nspname AS referenced_schema, rc.relname AS referenced_table,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS referenced_columns
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
     WHERE n.nspname = 'public' AND c.relname = ANY($1::text[]) AND con.contype = 'f'
     ORDER BY c.relname, con.conname`,
    [tableNames],
  );

  const defaults = await constantDefaults(client, columns.rows.filter((column) => column.generated === ''));
  const tables: ReplicatedTable[] = [];
  for (const name of tableNames) {
    const tableColumns = columns.rows.filter((row) => row.table_name === name);
    const pk = primaryKeys.rows.find((row) => row.table_name === name)?.columns ?? [];
    const pkColumn = tableColumns.find((column) => column.name === pk[0]);
    if (pk.length !== 1 || !pkColumn || pkColumn.type !== 'uuid') {
      problems.push(
        `table ${name}: the primary key must be ONE uuid column (found ${pk.length === 0 ? 'none' : pk.map((c) => `${c} ${tableColumns.find((t) => t.name === c)?.type}`).join(', ')}); ` +
          'replicated rows are created on every node, so keys must be UUIDs (v7), never serial',
      );
    }
    for (const column of tableColumns) {
      if (column.identity !== '') {
        problems.push(`table ${name}: column ${column.name} is an identity column; nodes would hand out the same numbers — use a uuid`);
      }
    }
    const replicatedColumns = tableColumns.filter((column) => column.generated === '');
    const uniqueKeys: UniqueKey[] = [];
    for (const unique of uniques.rows.filter((row) => row.table_name === name)) {
      if (unique.columns === null || unique.partial) {
        problems.push(
          `table ${name}: unique index ${unique.name} is on an expression or partial; replication can only resolve ` +
            'conflicts on plain column unique constraints — make it a plain UNIQUE constraint',
        );
        continue;
      }
      const renameColumn = unique.columns.find((column) => TEXT_TYPES.test(replicatedColumns.find((c) => c.name === column)?.type ?? ''));
      if (!renameColumn) {
        problems.push(`table ${name}: unique key ${unique.name} (${unique.columns.join(', ')}) has no text column to rename when two nodes claim the same value`);
        continue;
      }
      uniqueKeys.push({ name: unique.name, columns: unique.columns, renameColumn });
    }
    const tableForeignKeys: ForeignKey[] = [];
    for (const foreignKey of foreignKeys.rows.filter((row) => row.table_name === name)) {
      const replicatedParent = foreignKey.referenced_schema === 'public' && tableNames.includes(foreignKey.referenced_table);
      if (!replicatedParent) continue; // a reference to a local table: PostgreSQL enforces it as usual
      if (foreignKey.columns.length !== 1) {
        problems.push(`table ${name}: foreign key ${foreignKey.name} has several columns; replicated references must be one uuid column`);
        continue;
      }
      tableForeignKeys.push({ name: foreignKey.name, column: foreignKey.columns[0]!, references: foreignKey.referenced_table });
    }
    tables.push({
      name,
      primaryKey: pk[0] ?? 'id',
      columns: replicatedColumns.map((column) => ({ name: column.name, type: column.type, defaultText: defaults.get(column) ?? null })),
      uniqueKeys,
      foreignKeys: tableForeignKeys,
    });
  }
  if (problems.length > 0) throw new ReplicationSetupError(problems);
  return tables;
}

export interface InstallProps {
  readonly nodeId: string;
  /** Tables of schema public to replicate (UUID primary keys). */
  readonly tables: readonly string[];
  /**
   * NOTIFY msk_sync_changes from every writing statement (the "poke"). NOTIFY serializes committing transactions
   * (PostgreSQL holds a global lock from pre-commit to the end of commit), which costs concurrent writers; without
   * it the sync service polls the log head instead.
   * @default true
   */
  readonly notifyOnCommit?: boolean;
  /** Added to PostgreSQL's clock in the stamps capture writes (fault drills; see wallMsSql). @default 0 */
  readonly clockOffsetMs?: number;
}

export interface InstallResult {
  readonly tables: readonly ReplicatedTable[];
  readonly schemaVersion: string;
  /** Rows that existed without a log entry and were recorded now. */
  readonly backfilledRows: number;
  /** Columns ("table.column") a migration added since the last install: every existing row's state now says
   * "never written" for them. */
  readonly addedColumns: readonly string[];
  /** Columns a migration removed since the last install: their stamps left the row states. */
  readonly removedColumns: readonly string[];
}

/**
 * A column added by a migration was never written by any write this node's states record: without a stamp of its
 * own, a row state's base stamp would cover it, and the column's default would outrank a peer's older real write
 * of it (a peer upgraded earlier). So every existing state gets NEVER_WRITTEN_HLC for it. Rows inserted after the
 * migration and folded before this install are marked too: their value then travels at the lowest stamp (no peer
 * has the row yet to disagree). A removed column's stamps and stashed values go.
 */
async function recordColumnChanges(
  client: ClientBase,
  tables: readonly ReplicatedTable[],
  knownColumns: ReadonlyMap<string, readonly string[] | null>,
): Promise<{ addedColumns: string[]; removedColumns: string[] }> {
  const addedColumns: string[] = [];
  const removedColumns: string[] = [];
  for (const table of tables) {
    const before = knownColumns.get(table.name);
    if (!before) continue; // a new table, or installed by a version that did not record columns
    const now = table.columns.map((column) => column.name);
    for (const column of now.filter((name) => !before.includes(name))) {
      await client.query(
        `UPDATE ${SYNC_SCHEMA}.change_log SET column_hlcs = coalesce(column_hlcs, '{}'::jsonb) || jsonb_build_object($2::text, $3::text)
         WHERE tbl = $1 AND NOT coalesce(column_hlcs ? $2, false)`,
        [table.name, column, NEVER_WRITTEN_HLC],
      );
      addedColumns.push(`${table.name}.${column}`);
    }
    for (const column of before.filter((name) => !now.includes(name))) {
      await client.query(
        `UPDATE ${SYNC_SCHEMA}.change_log SET column_hlcs = nullif(column_hlcs - $2::text, '{}'::jsonb), stash = stash - $2::text
         WHERE tbl = $1 AND (coalesce(column_hlcs ? $2, false) OR coalesce(stash ? $2, false))`,
        [table.name, column],
      );
      removedColumns.push(`${table.name}.${column}`);
    }
  }
  return { addedColumns, removedColumns };
}

export async function installReplication(pool: Pool, props: InstallProps): Promise<InstallResult> {
  if (!NODE_ID_PATTERN.test(props.nodeId)) {
    throw new ReplicationSetupError([`node id "${props.nodeId}" is not 16 lowercase hex characters (SYNC_NODE_ID)`]);
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [APPLY_LOCK_KEY]);
    const tables = await introspectTables(client, props.tables);
    const schemaVersion = schemaVersionOf(tables);
    await client.query(schemaSql());
    const node = await client.query<{ node_id: string }>(`SELECT node_id FROM ${SYNC_SCHEMA}.node`);
    const owner = node.rows[0]?.node_id;
    if (owner !== undefined && owner !== props.nodeId) {
      throw new ReplicationSetupError([
        `this database already belongs to node ${owner}, not ${props.nodeId}: every node needs its own database ` +
          `(a copied database keeps the identity of the original). Use SYNC_NODE_ID=${owner}, or drop schema ${SYNC_SCHEMA} to start this database as a new node`,
      ]);
    }
    await client.query(
      `INSERT INTO ${SYNC_SCHEMA}.node (node_id, schema_version) VALUES ($1, $2)
       ON CONFLICT (singleton) DO UPDATE SET schema_version = excluded.schema_version`,
      [props.nodeId, schemaVersion],
    );
    // A new change log (or one from before incarnations) gets its incarnation here; msk restore makes a new one.
    await client.query(`UPDATE ${SYNC_SCHEMA}.node SET incarnation = md5(random()::text || clock_timestamp()::text) WHERE incarnation IS NULL`);
    const previous = await client.query<{ name: string }>(`SELECT name FROM ${SYNC_SCHEMA}.replicated_table`);
    for (const { name } of previous.rows) {
      if (props.tables.includes(name)) continue;
      await client.query(
        `DO $$ BEGIN
           IF to_regclass('public.${name}') IS NOT NULL THEN
             ${dropTriggersSql({ name })}
           END IF;
         END $$`,
      );
    }
    const known = await client.query<{ name: string; columns: string[] | null }>(`SELECT name, columns FROM ${SYNC_SCHEMA}.replicated_table`);
    const columnChanges = await recordColumnChanges(client, tables, new Map(known.rows.map((row) => [row.name, row.columns])));
    await client.query(`DELETE FROM ${SYNC_SCHEMA}.replicated_table`);
    let backfilledRows = 0;
    for (const table of tables) {
      await client.query(`INSERT INTO ${SYNC_SCHEMA}.replicated_table (name, columns) VALUES ($1, $2)`, [table.name, table.columns.map((c) => c.name)]);
      await client.query(captureFunctionSql(table, props.nodeId, props.clockOffsetMs ?? 0, props.notifyOnCommit ?? true));
      await client.query(triggersSql(table));
      backfilledRows += (await client.query(backfillSql(table, props.nodeId, props.clockOffsetMs ?? 0))).rowCount ?? 0;
    }
    await client.query(`ANALYZE ${SYNC_SCHEMA}.change_log`);
    await client.query('COMMIT');
    return { tables, schemaVersion, backfilledRows, ...columnChanges };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Removes capture from every table and drops the msk_sync schema (a node leaving replication for good). */
export async function uninstallReplication(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const exists = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [SYNC_SCHEMA]);
    if (exists.rowCount) {
      const tables = await client.query<{ name: string }>(`SELECT name FROM ${SYNC_SCHEMA}.replicated_table`);
      for (const { name } of tables.rows) {
        await client.query(
          `DO $$ BEGIN IF to_regclass('public.${name}') IS NOT NULL THEN
             ${dropTriggersSql({ name })}
           END IF; END $$`,
        );
      }
      await client.query(`DROP SCHEMA ${SYNC_SCHEMA} CASCADE`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
