/**
 * The sign-in limit on this node (see loginRateLimit for the rules and why each node counts on its own): wraps the
 * password check of the credentials provider. A refused attempt answers exactly like a wrong password (no hint
 * whether the account exists, no password check); a slowed one waits before its check, right or wrong password
 * alike. The client's address is the connection's, or what a TRUSTED_PROXIES proxy forwarded (requestOrigin).
 *
 * Logs name the client address and a tag of the account keyed with a random key this process never shows: attempts
 * on one account can be told apart in this node's log, but the tag says nothing of the email typed (which is
 * sometimes a mistyped password), not even to someone who guesses it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { appConfig } from '../config';
import { headerReader, requestOrigin } from '../http/requestOrigin';
import { log } from '../log';
import { countSafely } from '../metrics/appMetrics';
import { LoginAttemptLimiter } from './loginRateLimit';
import { processSingleton } from '../processSingleton';

function nodeLimiter(): { limiter: LoginAttemptLimiter; tagKey: Buffer } {
  return processSingleton('msk.app.signInLimiter', () => ({
    limiter: new LoginAttemptLimiter(),
    tagKey: randomBytes(32),
  }));
}

/** A tag of the typed account, keyed with this process's random key: stable in one node's log, meaningless outside. */
export function accountTag(account: string, key: Buffer): string {
  return 'acct:' + createHmac('sha256', key).update(account, 'utf8').digest('hex').slice(0, 12);
}

type RequestHeaders = Record<string, string | string[] | undefined> | undefined;

export async function withSignInLimit<T>(
  email: string,
  headers: RequestHeaders,
  checkPassword: () => Promise<T | null>,
): Promise<T | null> {
  const { limiter, tagKey } = nodeLimiter();
  const address = requestOrigin(headerReader(headers), appConfig().trustedProxies).clientAddress;
  const begunAtMs = Date.now();
  const verdict = limiter.begin(email, address, begunAtMs);
  if (!verdict.allowed) {
    log().warn(
      {
        limitedBy: verdict.limitedBy,
        address,
        account: accountTag(email, tagKey),
        retryAfterSeconds: Math.ceil(verdict.retryAfterMs / 1000),
      },
      `sign-in refused: too many failed attempts from this ${verdict.limitedBy === 'address' ? 'address' : 'address for this account'} on this node`,
    );
    countSafely((metrics) => metrics.signIns.inc({ result: 'rate-limited' }));
    return null;
  }
  if (verdict.delayMs > 0) {
    log().info(
      { address, account: accountTag(email, tagKey), delayMs: verdict.delayMs },
      'sign-in slowed: this account failed often lately',
    );
    await new Promise((resolve) => setTimeout(resolve, verdict.delayMs));
  }
  const user = await checkPassword();
  if (user) limiter.succeeded(email, address, begunAtMs);
  countSafely((metrics) => metrics.signIns.inc({ result: user ? 'success' : 'failure' }));
  return user;
}
