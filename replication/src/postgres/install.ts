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
import { type TableProblem, TEXT_TYPES, checkReplicatedTables, formatTableProblem } from '../core/tableRequirements';
import { type ColumnRow, readTableCatalog } from './tableFacts';
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
  constructor(
    readonly problems: readonly string[],
    /** The same problems, structured (kind, table, fix), when they come from the table requirements check. */
    readonly tableProblems: readonly TableProblem[] = [],
  ) {
    super(`replication can't be set up:\n  - ${problems.join('\n  - ')}`);
  }

  static fromTableProblems(problems: readonly TableProblem[]): ReplicationSetupError {
    return new ReplicationSetupError(problems.map(formatTableProblem), problems);
  }
}

/** A default that is a constant (a literal, maybe cast): evaluated once. Anything else (now(), a function) is not. */
const CONSTANT_DEFAULT =
  /^(?:'(?:[^']|'')*'|-?[0-9]+(?:\.[0-9]+)?|true|false|NULL)(?:::[a-z][a-z0-9_ ]*(?:\([0-9, ]+\))?(?:\[\])?)*$/;

/** Canonical text of each column's constant default (what a peer that lacks the column leaves in it). */
async function constantDefaults(
  client: ClientBase | Pool,
  columns: readonly ColumnRow[],
): Promise<Map<ColumnRow, string | null>> {
  const result = new Map<ColumnRow, string | null>();
  const constant = columns.filter(
    (column) => column.default_expr !== null && CONSTANT_DEFAULT.test(column.default_expr),
  );
  if (constant.length === 0) return result;
  const select = constant.map(
    (column, index) => `${canonicalText(`(${column.default_expr})::${column.type}`, column.type)} AS d${index}`,
  );
  const { rows } = await client.query<Record<string, string | null>>(`SELECT ${select.join(', ')}`);
  constant.forEach((column, index) => result.set(column, rows[0]?.[`d${index}`] ?? null));
  return result;
}

/**
 * Reads the shape of each table in schema public. Every problem of every table is reported at once, with its fix
 * (core/tableRequirements.ts); throws ReplicationSetupError when there is any.
 */
export async function introspectTables(
  client: ClientBase | Pool,
  tableNames: readonly string[],
): Promise<ReplicatedTable[]> {
  const named = checkReplicatedTables(tableNames, { serverVersionNum: 0, tables: [] }).filter(
    (p) => p.kind === 'bad-name' || p.kind === 'listed-twice',
  );
  if (named.length > 0) throw ReplicationSetupError.fromTableProblems(named);
  const catalog = await readTableCatalog(client, tableNames);
  const problems = checkReplicatedTables(tableNames, catalog.facts);
  if (problems.length > 0) throw ReplicationSetupError.fromTableProblems(problems);

  const defaults = await constantDefaults(
    client,
    catalog.columns.filter((column) => column.generated === ''),
  );
  const replicated = new Set(tableNames);
  return catalog.facts.tables.map((facts) => {
    const replicatedColumns = catalog.columns.filter((row) => row.table_name === facts.name && row.generated === '');
    const uniqueKeys: UniqueKey[] = facts.uniques.map((unique) => {
      const columns = unique.columns as readonly string[]; // checked: plain columns with a text column
      const renameColumn = columns.find((column) =>
        TEXT_TYPES.test(replicatedColumns.find((c) => c.name === column)?.type ?? ''),
      ) as string;
      return { name: unique.name, columns: [...columns], renameColumn };
    });
    const foreignKeys: ForeignKey[] = facts.foreignKeys
      // a reference to a local table: PostgreSQL enforces it as usual
      .filter((fk) => fk.referencedSchema === 'public' && replicated.has(fk.referencedTable))
      .map((fk) => ({ name: fk.name, column: fk.columns[0] as string, references: fk.referencedTable }));
    return {
      name: facts.name,
      primaryKey: facts.primaryKey[0] as string,
      columns: replicatedColumns.map((column) => ({
        name: column.name,
        type: column.type,
        defaultText: defaults.get(column) ?? null,
      })),
      uniqueKeys,
      foreignKeys,
    };
  });
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
    await client.query(
      `UPDATE ${SYNC_SCHEMA}.node SET incarnation = md5(random()::text || clock_timestamp()::text) WHERE incarnation IS NULL`,
    );
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
    const known = await client.query<{ name: string; columns: string[] | null }>(
      `SELECT name, columns FROM ${SYNC_SCHEMA}.replicated_table`,
    );
    const columnChanges = await recordColumnChanges(
      client,
      tables,
      new Map(known.rows.map((row) => [row.name, row.columns])),
    );
    await client.query(`DELETE FROM ${SYNC_SCHEMA}.replicated_table`);
    let backfilledRows = 0;
    for (const table of tables) {
      await client.query(`INSERT INTO ${SYNC_SCHEMA}.replicated_table (name, columns) VALUES ($1, $2)`, [
        table.name,
        table.columns.map((c) => c.name),
      ]);
      await client.query(
        captureFunctionSql(table, props.nodeId, props.clockOffsetMs ?? 0, props.notifyOnCommit ?? true),
      );
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
