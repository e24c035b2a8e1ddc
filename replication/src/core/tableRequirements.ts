/**
 * What the engine needs of every replicated table, judged from catalog facts (the PostgreSQL store reads them;
 * see postgres/tableFacts.ts). Pure. Every problem of every table is returned at once, each with its fix, so an
 * operator bringing their own app fixes the schema in one pass, not one error per restart.
 *
 * The rules, and why:
 * - one uuid primary key: rows are created on every node without coordination, so their keys must never collide;
 *   a serial / identity / sequence-defaulted key hands out 1, 2, 3… on every node, and two different rows with the
 *   same key overwrite each other (the merge is by key);
 * - no column filled from a sequence or as an identity: the same numbers on every node (not unique, not ordered);
 * - no array or composite-typed column: the apply passes each column as one array parameter and `unnest` flattens
 *   arrays and expands composites (measured: "column v is of type integer[] but expression is of type integer");
 * - unique constraints on plain columns with a text column (the loser of a conflict gets that column renamed);
 * - a reference to another replicated table through one column.
 */
import { TABLE_NAME_PATTERN } from '@msk/contract';

export interface ColumnFacts {
  readonly name: string;
  /** format_type() of the column. */
  readonly type: string;
  /** What kind of type: arrays and composites can't be carried (see above). */
  readonly typeKind: 'scalar' | 'array' | 'composite';
  readonly identity: boolean;
  readonly generated: boolean;
  /** The sequence its default draws from (`nextval('orders_id_seq'::regclass)`: serial, bigserial); null: none. */
  readonly sequence: string | null;
}

export interface TableFacts {
  readonly name: string;
  readonly columns: readonly ColumnFacts[];
  /** Primary key columns in key order; empty: none. */
  readonly primaryKey: readonly string[];
  /** The primary key constraint's name (e.g. orders_pkey); null: none. */
  readonly primaryKeyName: string | null;
  readonly uniques: readonly {
    readonly name: string;
    readonly columns: readonly string[] | null;
    readonly partial: boolean;
  }[];
  readonly foreignKeys: readonly {
    readonly name: string;
    readonly columns: readonly string[];
    readonly referencedSchema: string;
    readonly referencedTable: string;
  }[];
}

export interface SchemaFacts {
  /** server_version_num: uuidv7() exists from PostgreSQL 18 (180000). */
  readonly serverVersionNum: number;
  /** The configured tables that exist in schema public. */
  readonly tables: readonly TableFacts[];
}

export type TableProblemKind =
  | 'bad-name'
  | 'listed-twice'
  | 'missing'
  | 'no-primary-key'
  | 'sequence-key'
  | 'key-not-uuid'
  | 'composite-key'
  | 'sequence-column'
  | 'unsupported-type'
  | 'unique-index'
  | 'unique-without-text'
  | 'multi-column-reference';

export interface TableProblem {
  readonly table: string;
  readonly kind: TableProblemKind;
  /** What is wrong, naming the table and column (no "Fix:"). */
  readonly message: string;
  readonly fix: string;
}

/** Types whose values can be renamed by appending a suffix when two nodes claim the same unique value. */
export const TEXT_TYPES = /^(text|character varying(\(\d+\))?|citext)$/;

export function formatTableProblem(problem: TableProblem): string {
  return `${problem.message}. Fix: ${problem.fix}`;
}

/** The first release whose core has uuidv7(). */
const UUIDV7_SERVER_VERSION = 180_000;

function uuidDefault(serverVersionNum: number): string {
  return serverVersionNum >= UUIDV7_SERVER_VERSION ? 'uuidv7()' : 'gen_random_uuid()';
}

/** How new keys are made: in the app (what the reference app does), or by the column's default. */
function keyGenerationAdvice(serverVersionNum: number): string {
  return serverVersionNum >= UUIDV7_SERVER_VERSION
    ? 'new rows get a UUIDv7 from the default uuidv7() (PostgreSQL 18), or from the app'
    : 'this PostgreSQL is older than 18 and has no uuidv7(): generate a UUIDv7 in the app for each new row (as the reference app does in app/src/server/ids.ts), ' +
        'or keep the gen_random_uuid() default (random UUIDv4: collision-free too, only not ordered by time)';
}

/** The migration from a numeric (or other) key to a uuid key, as SQL an operator can adapt. */
function moveToUuidKey(
  table: string,
  oldKey: readonly string[],
  constraint: string | null,
  serverVersionNum: number,
  referencedBy: readonly string[],
): string {
  const steps = [
    `add a uuid key and make it the primary key in a migration, e.g. ALTER TABLE ${table} ADD COLUMN uuid_id uuid NOT NULL DEFAULT ${uuidDefault(serverVersionNum)}; ` +
      `ALTER TABLE ${table} ${constraint ? `DROP CONSTRAINT ${constraint}, ` : ''}ADD PRIMARY KEY (uuid_id)` +
      (oldKey.length > 0 ? ` (keep ${oldKey.join(', ')} as an ordinary column, or drop it once nothing uses it)` : ''),
  ];
  if (referencedBy.length > 0) {
    steps.push(
      `first point the references to it (${referencedBy.join(', ')}) at the new column: add a uuid column there, fill it with an UPDATE … FROM ${table}, and recreate the foreign keys on it`,
    );
  }
  steps.push(keyGenerationAdvice(serverVersionNum));
  return steps.join('; ');
}

function nameProblems(names: readonly string[]): TableProblem[] {
  const problems: TableProblem[] = [];
  for (const name of names) {
    if (!TABLE_NAME_PATTERN.test(name)) {
      problems.push({
        table: name,
        kind: 'bad-name',
        message: `table name "${name}" is not a lowercase table name of schema public`,
        fix: 'fix REPLICATED_TABLES: plain lowercase table names, comma-separated',
      });
    }
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      problems.push({
        table: name,
        kind: 'listed-twice',
        message: `table ${name} is listed twice`,
        fix: 'list each table once in REPLICATED_TABLES',
      });
    seen.add(name);
  }
  return problems;
}

function primaryKeyProblems(table: TableFacts, schema: SchemaFacts, referencedBy: readonly string[]): TableProblem[] {
  const name = table.name;
  const v = schema.serverVersionNum;
  const pk = table.primaryKey;
  const column = (columnName: string) => table.columns.find((c) => c.name === columnName);
  if (pk.length === 0) {
    const uuidId = table.columns.find((c) => c.name === 'id' && c.type === 'uuid');
    return [
      {
        table: name,
        kind: 'no-primary-key',
        message: `table ${name} has no primary key: replication tells rows apart (and merges them) by one uuid primary key`,
        fix: uuidId
          ? `make its uuid column the key: ALTER TABLE ${name} ADD PRIMARY KEY (id)`
          : `add one in a migration: ALTER TABLE ${name} ADD COLUMN id uuid NOT NULL DEFAULT ${uuidDefault(v)} PRIMARY KEY (existing rows get a key each); ${keyGenerationAdvice(v)}`,
      },
    ];
  }
  if (pk.length > 1) {
    return [
      {
        table: name,
        kind: 'composite-key',
        message: `table ${name} has a primary key of ${pk.length} columns (${pk.join(', ')}): replication needs ONE uuid column as the key`,
        fix: `${moveToUuidKey(name, [], table.primaryKeyName, v, referencedBy)}; keep (${pk.join(', ')}) unique with a UNIQUE constraint if it must be`,
      },
    ];
  }
  const key = column(pk[0] as string);
  if (!key || key.type === 'uuid') return [];
  if (key.identity || key.sequence) {
    const how = key.identity ? 'an identity column' : `filled from sequence ${key.sequence} (serial)`;
    return [
      {
        table: name,
        kind: 'sequence-key',
        message:
          `table ${name}: primary key ${key.name} is ${key.type}, ${how}: every node hands out the same numbers (1, 2, 3…), ` +
          'so two nodes create different rows with the same key and replication merges them into one (the later write wins, the other row is lost)',
        fix: `move it to a UUIDv7 key: ${moveToUuidKey(name, [key.name], table.primaryKeyName, v, referencedBy)}`,
      },
    ];
  }
  return [
    {
      table: name,
      kind: 'key-not-uuid',
      message: `table ${name}: primary key ${key.name} is ${key.type}: replication keys rows by one uuid column, created on any node without coordination`,
      fix: `move it to a UUIDv7 key: ${moveToUuidKey(name, [key.name], table.primaryKeyName, v, referencedBy)}`,
    },
  ];
}

function columnProblems(table: TableFacts, primaryKey: string | undefined): TableProblem[] {
  const problems: TableProblem[] = [];
  for (const column of table.columns) {
    if (column.generated) continue; // computed on each node, never carried
    if (column.name !== primaryKey && (column.identity || column.sequence)) {
      problems.push({
        table: table.name,
        kind: 'sequence-column',
        message: `table ${table.name}: column ${column.name} is ${column.identity ? 'an identity column' : `filled from sequence ${column.sequence} (serial)`}: every node hands out the same numbers`,
        fix: `drop the default and let the app set it (e.g. ALTER TABLE ${table.name} ALTER COLUMN ${column.name} ${column.identity ? 'DROP IDENTITY' : 'DROP DEFAULT'}), or use a uuid column`,
      });
    }
    if (column.typeKind !== 'scalar') {
      problems.push({
        table: table.name,
        kind: 'unsupported-type',
        message: `table ${table.name}: column ${column.name} is of type ${column.type}, ${column.typeKind === 'array' ? 'an array' : 'a composite type'}, which replication cannot carry yet`,
        fix: `store it as jsonb instead (e.g. ALTER TABLE ${table.name} ALTER COLUMN ${column.name} TYPE jsonb USING to_jsonb(${column.name})), or move the values to a child table keyed by uuid`,
      });
    }
  }
  return problems;
}

function constraintProblems(table: TableFacts, replicated: ReadonlySet<string>): TableProblem[] {
  const problems: TableProblem[] = [];
  for (const unique of table.uniques) {
    if (unique.columns === null || unique.partial) {
      problems.push({
        table: table.name,
        kind: 'unique-index',
        message: `table ${table.name}: unique index ${unique.name} is on an expression or partial; replication resolves conflicts on plain column unique constraints only`,
        fix: `make it a plain UNIQUE constraint on columns (e.g. store the lowercased value in its own column)`,
      });
      continue;
    }
    const hasText = unique.columns.some((name) =>
      TEXT_TYPES.test(table.columns.find((c) => c.name === name && !c.generated)?.type ?? ''),
    );
    if (!hasText) {
      problems.push({
        table: table.name,
        kind: 'unique-without-text',
        message: `table ${table.name}: unique key ${unique.name} (${unique.columns.join(', ')}) has no text column, which replication renames on the row that loses when two nodes claim the same value`,
        fix: `include a text column in the unique key, or drop the constraint and enforce uniqueness in the app`,
      });
    }
  }
  for (const reference of table.foreignKeys) {
    if (reference.referencedSchema !== 'public' || !replicated.has(reference.referencedTable)) continue; // local: PostgreSQL enforces it
    if (reference.columns.length !== 1) {
      problems.push({
        table: table.name,
        kind: 'multi-column-reference',
        message: `table ${table.name}: foreign key ${reference.name} has ${reference.columns.length} columns; a reference to a replicated table must be one uuid column`,
        fix: `reference ${reference.referencedTable}'s uuid primary key through one column`,
      });
    }
  }
  return problems;
}

/** Every problem of the configured tables, in list order; empty: the engine can replicate them as they are. */
export function checkReplicatedTables(names: readonly string[], schema: SchemaFacts): TableProblem[] {
  const problems = nameProblems(names);
  if (problems.length > 0) return problems;
  const byName = new Map(schema.tables.map((table) => [table.name, table]));
  const replicated = new Set(names);
  for (const name of names) {
    const table = byName.get(name);
    if (!table) {
      problems.push({
        table: name,
        kind: 'missing',
        message: `table public.${name} does not exist`,
        fix: "run the application's migrations first (or remove it from REPLICATED_TABLES)",
      });
      continue;
    }
    const referencedBy = schema.tables.flatMap((other) =>
      other.foreignKeys
        .filter((fk) => fk.referencedSchema === 'public' && fk.referencedTable === name)
        .map((fk) => `${other.name}.${fk.columns.join('+')}`),
    );
    problems.push(...primaryKeyProblems(table, schema, referencedBy));
    problems.push(...columnProblems(table, table.primaryKey.length === 1 ? table.primaryKey[0] : undefined));
    problems.push(...constraintProblems(table, replicated));
  }
  return problems;
}
