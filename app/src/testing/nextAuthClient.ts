/**
 * The one NextAuth sign-in client of the tests (app, cross-node, container, Kubernetes and fault tiers): what a
 * browser does with NextAuth's endpoints over real HTTP: fetch the CSRF token, post credentials, keep the cookies.
 * tests/support/sessionClient.ts and tests/support/retryingClient.ts sign in through `signInAttempt`.
 */
export const SESSION_COOKIE = 'next-auth.session-token';
const CSRF_COOKIE = 'next-auth.csrf-token';

/** name → value of the cookies a response sets (an empty value means "delete"). */
export function setCookies(response: { readonly headers: Headers }): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = (pair ?? '').indexOf('=');
    if (eq > 0) cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
  }
  return cookies;
}

/** The Cookie header a browser sends back: every cookie it holds (deleted ones left out). */
export function cookieHeader(jar: ReadonlyMap<string, string>): string {
  return [...jar.entries()]
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** One HTTP exchange as the sign-in needs it; tests/support/retryingClient.ts passes one that retries. */
export type SignInFetch = (
  url: string,
  init: RequestInit,
) => Promise<{ status: number; text: string; headers: Headers }>;

const plainFetch: SignInFetch = async (url, init) => {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
};

export interface SignInAttempt {
  /** The credentials callback's status. */
  readonly status: number;
  /** Every cookie the two answers set (CSRF, callback URL, session), as a browser keeps them. */
  readonly cookies: ReadonlyMap<string, string>;
  /** The session cookie's name (`next-auth.session-token`, with a `__Secure-` prefix under https), if one was set. */
  readonly sessionCookieName: string | undefined;
  readonly location: string | null;
  readonly body: unknown;
}

/** NextAuth's credentials sign-in: GET /api/auth/csrf (token and cookie), then POST the credentials with the cookies. */
export async function signInAttempt(
  baseUrl: string,
  email: string,
  password: string,
  fetchStep: SignInFetch = plainFetch,
): Promise<SignInAttempt> {
  const csrfAnswer = await fetchStep(`${baseUrl}/api/auth/csrf`, {});
  if (csrfAnswer.status !== 200) throw new Error(`GET ${baseUrl}/api/auth/csrf answered ${csrfAnswer.status}`);
  const jar = setCookies(csrfAnswer);
  if (![...jar.keys()].some((name) => name.endsWith(CSRF_COOKIE)))
    throw new Error(`GET ${baseUrl}/api/auth/csrf set no CSRF cookie`);
  const { csrfToken } = JSON.parse(csrfAnswer.text) as { csrfToken: string };
  const login = await fetchStep(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
  });
  for (const [name, value] of setCookies(login)) jar.set(name, value);
  const sessionCookieName = [...jar.keys()].find((name) => name.endsWith(SESSION_COOKIE) && jar.get(name) !== '');
  let body: unknown;
  try {
    body = JSON.parse(login.text);
  } catch {
    body = undefined;
  }
  return { status: login.status, cookies: jar, sessionCookieName, location: login.headers.get('location'), body };
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
  const attempt = await signInAttempt(baseUrl, email, password);
  const sessionCookie =
    attempt.sessionCookieName === undefined ? undefined : attempt.cookies.get(attempt.sessionCookieName);
  return { status: attempt.status, sessionCookie, body: attempt.body };
}

/** Signs in or throws: for tests whose subject is something after the sign-in. */
export async function signedIn(baseUrl: string, email: string, password: string): Promise<string> {
  const result = await signIn(baseUrl, email, password);
  if (!result.sessionCookie)
    throw new Error(
      `signing in as ${email} on ${baseUrl} failed: HTTP ${result.status} ${JSON.stringify(result.body)}`,
    );
  return result.sessionCookie;
}

export function sessionHeader(sessionCookie: string): { cookie: string } {
  return { cookie: `${SESSION_COOKIE}=${sessionCookie}` };
}

export async function readSession(
  baseUrl: string,
  sessionCookie: string,
): Promise<{ body: unknown; response: Response }> {
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
