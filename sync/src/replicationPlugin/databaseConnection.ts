/**
 * The connection string the replication store uses: the contract's, shared with the app (SYNC_DATABASE_URL with its
 * password filled in). Never log it: log `describeDatabase` instead.
 */
export { connectionStringWithPassword } from '@msk/contract';

/** host:port/database of a connection string, without user or password. */
export function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.host}${url.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
