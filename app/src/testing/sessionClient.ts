/**
 * What a browser does with NextAuth's endpoints, over real HTTP: fetch the CSRF token, post credentials, keep the
 * cookies. Used to sign in on one node and present the cookie to another.
 */
export const SESSION_COOKIE = 'next-auth.session-token';
const CSRF_COOKIE = 'next-auth.csrf-token';

/** name → value of the cookies a response sets (an empty value means "delete"). */
export function setCookies(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = (pair ?? '').indexOf('=');
    if (eq > 0) cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
  }
  return cookies;
}

export async function csrf(baseUrl: string): Promise<{ csrfToken: string; csrfCookie: string }> {
  const response = await fetch(`${baseUrl}/api/auth/csrf`);
  if (response.status !== 200) throw new Error(`GET ${baseUrl}/api/auth/csrf answered ${response.status}`);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const csrfCookie = setCookies(response).get(CSRF_COOKIE);
  if (!csrfCookie) throw new Error('GET /api/auth/csrf set no CSRF cookie');
  return { csrfToken, csrfCookie };
}

export interface SignInResult {
  readonly status: number;
  /** The session cookie's value, when the sign-in worked. */
  readonly sessionCookie: string | undefined;
  readonly body: unknown;
}

export async function signIn(baseUrl: string, email: string, password: string): Promise<SignInResult> {
  const { csrfToken, csrfCookie } = await csrf(baseUrl);
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${CSRF_COOKIE}=${csrfCookie}` },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }),
  });
  const sessionCookie = setCookies(response).get(SESSION_COOKIE) || undefined;
  return { status: response.status, sessionCookie, body: await response.json().catch(() => undefined) };
}

/** Signs in or throws: for tests whose subject is something after the sign-in. */
export async function signedIn(baseUrl: string, email: string, password: string): Promise<string> {
  const result = await signIn(baseUrl, email, password);
  if (!result.sessionCookie) throw new Error(`signing in as ${email} on ${baseUrl} failed: HTTP ${result.status} ${JSON.stringify(result.body)}`);
  return result.sessionCookie;
}

export function sessionHeader(sessionCookie: string): { cookie: string } {
  return { cookie: `${SESSION_COOKIE}=${sessionCookie}` };
}

export async function readSession(baseUrl: string, sessionCookie: string): Promise<{ body: unknown; response: Response }> {
  const response = await fetch(`${baseUrl}/api/auth/session`, { headers: sessionHeader(sessionCookie) });
  return { body: await response.json(), response };
}

/** JSON API call with the session cookie. */
export async function api(
  baseUrl: string,
  sessionCookie: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  // Tests read fields of many different answers; they assert the shape with expect() rather than with types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = sessionCookie ? sessionHeader(sessionCookie) : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
