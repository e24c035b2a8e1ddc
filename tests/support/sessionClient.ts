/**
 * A browser's cookie handling, reduced to what the cross-node tests need: sign in through NextAuth's real
 * endpoints (CSRF token + credentials callback) and replay the session cookie against any node.
 */
export interface SignedInSession {
  /** The Cookie header a browser would send back to this host. */
  readonly cookie: string;
  readonly sessionCookieName: string;
}

function cookiesOf(response: Response): Map<string, string> {
  const jar = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = (pair ?? '').indexOf('=');
    if (eq > 0) jar.set((pair as string).slice(0, eq).trim(), (pair as string).slice(eq + 1));
  }
  return jar;
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar.entries()].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
}

export async function signIn(baseUrl: string, email: string, password: string): Promise<SignedInSession> {
  const csrfResponse = await fetch(`${baseUrl}/api/auth/csrf`);
  const jar = cookiesOf(csrfResponse);
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const login = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
  });
  await login.arrayBuffer();
  for (const [k, v] of cookiesOf(login)) jar.set(k, v);
  const sessionCookieName = [...jar.keys()].find((k) => k.endsWith('next-auth.session-token'));
  if (!sessionCookieName) {
    throw new Error(`sign-in as ${email} at ${baseUrl} failed: HTTP ${login.status}, no session cookie (${login.headers.get('location')})`);
  }
  return { cookie: cookieHeader(jar), sessionCookieName };
}

export async function sessionAt(baseUrl: string, session: SignedInSession): Promise<{ user?: { email?: string } }> {
  const response = await fetch(`${baseUrl}/api/auth/session`, { headers: { cookie: session.cookie } });
  return (await response.json()) as { user?: { email?: string } };
}

/** The node badge of a server-rendered page: which node served it. */
export function nodeBadge(html: string): { id: string; name: string } | undefined {
  const tag = /<[^>]*data-testid="node-badge"[^>]*>/.exec(html)?.[0];
  if (!tag) return undefined;
  const attribute = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1] ?? '';
  return { id: attribute('data-node-id'), name: attribute('data-node-name') };
}
