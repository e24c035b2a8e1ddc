/**
 * What the engine knows about a replicated table: generic over the table list (the PostgreSQL store fills this
 * in by introspection; the in-memory store is given it). Pure.
 */
import { createHash } from 'node:crypto';

export interface UniqueKey {
  /** Constraint or index name (shown in the conflicts table). */
  readonly name: string;
  readonly columns: readonly string[];
  /** The text column that is renamed on the row that loses a conflict. */
  readonly renameColumn: string;
}

export interface ForeignKey {
  readonly name: string;
  /** Single referencing column (uuid) of this table. */
  readonly column: string;
  /** Replicated table it points at (by primary key). */
  readonly references: string;
}

export interface ReplicatedTable {
  readonly name: string;
  /** Primary key column: one uuid column. */
  readonly primaryKey: string;
  /**
   * Every column, in table order, with its SQL type (used for the schema version) and its default's canonical text
   * (null: none, or not a constant) — what a change from a peer that lacks the column leaves in it.
   */
  readonly columns: readonly { readonly name: string; readonly type: string; readonly defaultText?: string | null }[];
  readonly uniqueKeys: readonly UniqueKey[];
  readonly foreignKeys: readonly ForeignKey[];
}

export function columnNames(table: ReplicatedTable): string[] {
  return table.columns.map((column) => column.name);
}

/**
 * Tables ordered so every parent comes before its children (inserts in this order, deletes in reverse).
 * Self-references and cycles are allowed: they are broken by name order, and rows whose parent is not there yet
 * wait (see the stores' "pending" rows) instead of failing.
 */
export function orderTablesByDependency(tables: readonly ReplicatedTable[]): ReplicatedTable[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const ordered: ReplicatedTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: ReplicatedTable) => {
    if (state.get(table.name) !== undefined) return;
    state.set(table.name, 'visiting');
    for (const foreignKey of [...table.foreignKeys].sort((a, b) => a.references.localeCompare(b.references))) {
      const parent = byName.get(foreignKey.references);
      if (parent && parent.name !== table.name) visit(parent);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(table);
  return ordered;
}

/**
 * Fingerprint of the replicated tables' shape, compared in every pull: nodes refuse to sync across versions.
 * Order-independent over tables; column order matters not, names and types do.
 */
export function schemaVersionOf(tables: readonly ReplicatedTable[]): string {
  const canonical = [...tables]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((table) => ({
      name: table.name,
      primaryKey: table.primaryKey,
      columns: [...table.columns].sort((a, b) => a.name.localeCompare(b.name)).map((c) => `${c.name}:${c.type}`),
      unique: table.uniqueKeys.map((key) => key.columns.join('+')).sort(),
      references: table.foreignKeys.map((key) => `${key.column}>${key.references}`).sort(),
    }));
  return 'sv1-' + createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
