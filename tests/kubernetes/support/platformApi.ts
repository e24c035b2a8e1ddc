/**
 * The platform's HTTP API as the Kubernetes tests use it: sign in, create a business, read businesses back.
 */
import { type SignedInSession, sessionAt, signIn } from '../../support/sessionClient';
import { eventually } from '../../support/eventually';

export const ADMIN = { email: 'admin@example.com', password: 'kubernetes-admin-password-1' } as const;

export { sessionAt };

export function signInAsAdmin(appUrl: string): Promise<SignedInSession> {
  return eventually(() => signIn(appUrl, ADMIN.email, ADMIN.password), { what: `admin sign-in at ${appUrl}`, timeoutMs: 60_000, intervalMs: 1000 });
}

export async function createBusiness(appUrl: string, session: SignedInSession, name: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/businesses`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name, type: 'retail' }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${appUrl}/api/businesses: HTTP ${response.status} ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { id: string }).id;
}

export async function businessIds(appUrl: string, session: SignedInSession): Promise<Set<string>> {
  const response = await fetch(`${appUrl}/api/businesses`, { headers: { cookie: session.cookie }, signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`GET ${appUrl}/api/businesses: HTTP ${response.status}`);
  const { businesses } = (await response.json()) as { businesses: { id: string }[] };
  return new Set(businesses.map((b) => b.id));
}

/** Waits until every id is listed at appUrl; the error names how many are still missing. */
export function waitForBusinesses(appUrl: string, session: SignedInSession, ids: readonly string[], timeoutMs: number): Promise<void> {
  return eventually(
    async () => {
      const listed = await businessIds(appUrl, session);
      const missing = ids.filter((id) => !listed.has(id));
      if (missing.length > 0) throw new Error(`${missing.length} of ${ids.length} missing, e.g. ${missing.slice(0, 3).join(', ')}`);
    },
    { what: `${ids.length} businesses at ${appUrl}`, timeoutMs, intervalMs: 1000 },
  );
}
