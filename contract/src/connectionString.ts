/**
 * DATABASE_URL (and SYNC_DATABASE_URL) may leave the password out so it can live in the shared secret file as
 * DATABASE_PASSWORD (SYNC_DATABASE_PASSWORD; see the variables). A password in the URL wins. The app and the sync service both connect
 * with this. Never log the result: it holds the password.
 */
export function connectionStringWithPassword(databaseUrl: string, databasePassword: string | undefined): string {
  const url = new URL(databaseUrl);
  if (url.password || databasePassword === undefined || databasePassword === '') return databaseUrl;
  url.password = encodeURIComponent(databasePassword);
  return url.toString();
}
