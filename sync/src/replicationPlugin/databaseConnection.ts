/**
 * The connection string the replication store uses: DATABASE_URL, with DATABASE_PASSWORD filled in when the URL
 * has none (the app does the same, app/src/server/db/connectionString.ts). Never log the result: it holds the
 * password; log `describeDatabase` instead.
 */
export function connectionStringWithPassword(databaseUrl: string, databasePassword: string | undefined): string {
  const url = new URL(databaseUrl);
  if (url.password || databasePassword === undefined || databasePassword === '') return databaseUrl;
  url.password = encodeURIComponent(databasePassword);
  return url.toString();
}

/** host:port/database of a connection string, without user or password. */
export function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.host}${url.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
