/**
 * A browser's cookie handling, reduced to what the cross-node tests need: sign in through NextAuth's real
 * endpoints (the one sign-in client, app/src/testing/nextAuthClient.ts) and replay the session cookie against any node.
 */
import { cookieHeader, signInAttempt } from '../../app/src/testing/nextAuthClient';

export interface SignedInSession {
  /** The Cookie header a browser would send back to this host. */
  readonly cookie: string;
  readonly sessionCookieName: string;
}

export async function signIn(baseUrl: string, email: string, password: string): Promise<SignedInSession> {
  const attempt = await signInAttempt(baseUrl, email, password);
  if (!attempt.sessionCookieName) {
    throw new Error(
      `sign-in as ${email} at ${baseUrl} failed: HTTP ${attempt.status}, no session cookie (${attempt.location})`,
    );
  }
  return { cookie: cookieHeader(attempt.cookies), sessionCookieName: attempt.sessionCookieName };
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
