/**
 * REPLICATED_TABLES: which of the app's tables every node replicates. The replication engine reads and writes
 * tables of schema `public` only (its capture, introspection and apply are written for it), so the list holds
 * plain table names; a qualified `schema.table` is refused with that reason. Pure.
 */

/** What the engine accepts as a table name: an unquoted, lowercase PostgreSQL identifier (at most 63 bytes). */
export const TABLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The reference app's (app/) configuration of the kit: the tables its migrations create. Not a default of the
 * sync service: `init` writes it and the local cluster passes it, as any other app's list would be.
 */
export const REFERENCE_APP_REPLICATED_TABLES: readonly string[] = ['users', 'businesses', 'employees'];

/** The list as written (order kept): `a,b,c` → ['a', 'b', 'c']; the empty string → []. */
export function parseReplicatedTables(value: string): string[] {
  return value === '' ? [] : value.split(',');
}

function itemProblem(item: string): string | undefined {
  if (item === '' || item.trim() !== item)
    return 'must be a comma-separated list of table names without spaces or empty items';
  if (item.includes('.')) {
    const name = item.slice(item.lastIndexOf('.') + 1);
    return `names "${item}": the replication engine replicates tables of schema public only, so write the table name alone (${name || 'the table'}) and keep the table in schema public`;
  }
  if (!TABLE_NAME_PATTERN.test(item)) {
    return `names "${item.slice(0, 80)}", which is not a lowercase table name (letters a-z, digits and _, not starting with a digit, at most 63 characters): use the name as PostgreSQL stores an unquoted identifier`;
  }
  return undefined;
}

/** Contract check: valid names, each once. Names are not secret, so the messages quote them. */
export function replicatedTablesProblem(value: string): string | undefined {
  if (value === '') return undefined; // required or not is a rule across variables (DATABASE_TOPOLOGY)
  const items = value.split(',');
  for (const item of items) {
    const problem = itemProblem(item);
    if (problem) return problem;
  }
  const seen = new Set<string>();
  const twice = [...new Set(items.filter((item) => (seen.has(item) ? true : (seen.add(item), false))))];
  if (twice.length > 0) return `names ${twice.join(', ')} more than once: list each table once`;
  return undefined;
}
