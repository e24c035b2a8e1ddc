/** The application's tables every node replicates (app/migrations/). Parents before children is not needed: the
 * engine orders tables by their foreign keys. */
export const REPLICATED_TABLES: readonly string[] = ['users', 'businesses', 'employees'];
