/**
 * The sign-in limit on this node (see loginRateLimit for the rules and why each node counts on its own): wraps the
 * password check of the credentials provider. A limited attempt answers exactly like a wrong password (no hint
 * whether the account exists, no password check) and is logged with the client address and the account's
 * fingerprint (the email field sometimes holds a mistyped password).
 */
import { fingerprint } from '@msk/kit/contract';
import { log } from '../log';
import { clientAddress, LoginAttemptLimiter } from './loginRateLimit';

const LIMITER_KEY = Symbol.for('msk.app.signInLimiter');
type LimiterHolder = { [LIMITER_KEY]?: LoginAttemptLimiter };

function nodeLimiter(): LoginAttemptLimiter {
  const holder = globalThis as LimiterHolder;
  holder[LIMITER_KEY] ??= new LoginAttemptLimiter();
  return holder[LIMITER_KEY];
}

type RequestHeaders = Record<string, string | string[] | undefined> | undefined;

export async function withSignInLimit<T>(email: string, headers: RequestHeaders, checkPassword: () => Promise<T | null>): Promise<T | null> {
  const limiter = nodeLimiter();
  const address = clientAddress(headers?.['x-forwarded-for']);
  const begunAtMs = Date.now();
  const verdict = limiter.begin(email, address, begunAtMs);
  if (!verdict.allowed) {
    log().warn(
      { limitedBy: verdict.limitedBy, address, account: fingerprint(email), retryAfterSeconds: Math.ceil(verdict.retryAfterMs / 1000) },
      `sign-in refused: too many failed attempts for this ${verdict.limitedBy} on this node`,
    );
    return null;
  }
  const user = await checkPassword();
  if (user) limiter.succeeded(email, address, begunAtMs);
  return user;
}
