/** Which database a PostgreSQL URL names, as far as its text can tell (the sync services compare real identities). */

/** host:port/database of a URL, lowercased, without user or password; undefined when it does not parse. */
export function databaseTarget(databaseUrl: string): string | undefined {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname.toLowerCase()}:${url.port || '5432'}${decodeURIComponent(url.pathname) || '/'}`;
  } catch {
    return undefined;
  }
}

/** Whether a PostgreSQL URL names the machine it is used on (localhost, 127.0.0.0/8, ::1, a socket folder). */
export function isLoopbackDatabase(databaseUrl: string): boolean {
  let host: string;
  try {
    host = decodeURIComponent(new URL(databaseUrl).hostname)
      .replace(/^\[|\]$/g, '')
      .toLowerCase();
  } catch {
    return false;
  }
  return host === '' || host === 'localhost' || host === '::1' || /^127\./.test(host) || host.startsWith('/');
}
