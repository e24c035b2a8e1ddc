/**
 * DATABASE_URL may leave the password out so it can live in the shared secret file as DATABASE_PASSWORD
 * (see the env contract). A password in the URL wins.
 */
export function connectionStringWithPassword(databaseUrl: string, databasePassword: string | undefined): string {
  const url = new URL(databaseUrl);
  if (url.password || databasePassword === undefined || databasePassword === '') return databaseUrl;
  url.password = encodeURIComponent(databasePassword);
  return url.toString();
}
