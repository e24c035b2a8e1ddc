/**
 * Brute-force limits for sign-in, pure (the caller passes the clock): a sliding window of failed attempts per
 * account (the email as typed, normalized) and per client address. An attempt counts as failed from the moment it
 * starts until it is known to have succeeded, so a burst of parallel guesses cannot all slip in before the first
 * failure is recorded. A success clears the account's failures (the person got in) and takes back its own count
 * from the address.
 *
 * Each app node keeps these counts in its own memory. An attacker spread over N nodes behind the round-robin entry
 * point gets at most N times the limit, still a few dozen guesses per quarter hour against bcrypt; in exchange an
 * account locked by someone else's guessing on one node still signs in through the others, and no shared store
 * (or the database, on every failed attempt) is in the sign-in path.
 */
export const LOGIN_LIMIT_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILED_LOGINS_PER_ACCOUNT_PER_15_MIN = 5;
/** Higher than per account: several people behind one NAT or office address share it. */
export const MAX_FAILED_LOGINS_PER_ADDRESS_PER_15_MIN = 30;
/** Accounts and addresses tracked at once; past this the least recently active are forgotten. */
export const MAX_TRACKED_LOGIN_KEYS = 50_000;

export interface LoginLimits {
  readonly windowMs: number;
  readonly maxFailuresPerAccount: number;
  readonly maxFailuresPerAddress: number;
  readonly maxTrackedKeys: number;
}

export const LOGIN_LIMITS: LoginLimits = {
  windowMs: LOGIN_LIMIT_WINDOW_MS,
  maxFailuresPerAccount: MAX_FAILED_LOGINS_PER_ACCOUNT_PER_15_MIN,
  maxFailuresPerAddress: MAX_FAILED_LOGINS_PER_ADDRESS_PER_15_MIN,
  maxTrackedKeys: MAX_TRACKED_LOGIN_KEYS,
};

export type AttemptVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly limitedBy: 'account' | 'address'; readonly retryAfterMs: number };

/** Failure timestamps per key, oldest first, never more than the limit. */
class SlidingWindowCounts {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    private readonly maxKeys: number,
  ) {}

  /** ms until the key may try again, or 0 when it may now. */
  blockedForMs(key: string, nowMs: number): number {
    const times = this.current(key, nowMs);
    if (times.length < this.max) return 0;
    return (times[times.length - this.max] as number) + this.windowMs - nowMs;
  }

  add(key: string, nowMs: number): void {
    const times = this.current(key, nowMs);
    times.push(nowMs);
    if (times.length > this.max) times.shift();
    // Re-insert so Map order is least recently active first.
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value as string);
  }

  removeOne(key: string, atMs: number): void {
    const times = this.failures.get(key);
    const index = times?.lastIndexOf(atMs) ?? -1;
    if (times && index >= 0) times.splice(index, 1);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }

  private current(key: string, nowMs: number): number[] {
    const times = (this.failures.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
    if (times.length === 0) this.failures.delete(key);
    else this.failures.set(key, times);
    return times;
  }
}

export class LoginAttemptLimiter {
  private readonly accounts: SlidingWindowCounts;
  private readonly addresses: SlidingWindowCounts;

  constructor(readonly limits: LoginLimits = LOGIN_LIMITS) {
    this.accounts = new SlidingWindowCounts(limits.windowMs, limits.maxFailuresPerAccount, limits.maxTrackedKeys);
    this.addresses = new SlidingWindowCounts(limits.windowMs, limits.maxFailuresPerAddress, limits.maxTrackedKeys);
  }

  /** Whether this attempt may check the password; if so it counts as failed until succeeded() says otherwise. */
  begin(account: string, address: string, nowMs: number): AttemptVerdict {
    const accountWaitMs = this.accounts.blockedForMs(account, nowMs);
    if (accountWaitMs > 0) return { allowed: false, limitedBy: 'account', retryAfterMs: accountWaitMs };
    const addressWaitMs = this.addresses.blockedForMs(address, nowMs);
    if (addressWaitMs > 0) return { allowed: false, limitedBy: 'address', retryAfterMs: addressWaitMs };
    this.accounts.add(account, nowMs);
    this.addresses.add(address, nowMs);
    return { allowed: true };
  }

  /** The attempt begun at `begunAtMs` signed in. */
  succeeded(account: string, address: string, begunAtMs: number): void {
    this.accounts.clear(account);
    this.addresses.removeOne(address, begunAtMs);
  }

  get trackedKeys(): number {
    return this.accounts.size + this.addresses.size;
  }
}

/**
 * The client's address as the entry point saw it: the LAST X-Forwarded-For entry. The one proxy in front of the
 * nodes (the local cluster's entry point, a Kubernetes ingress) appends the address it accepted the connection
 * from; entries left of it were written by the client and are ignored. Without a proxy, Next.js fills the header
 * with the socket's address. A client that bypasses the entry point and talks to a node directly can still write
 * any value here, which is why nodes listen on private addresses only and why the per-account limit does not
 * depend on the address.
 */
export function clientAddress(xForwardedFor: string | string[] | undefined): string {
  const header = Array.isArray(xForwardedFor) ? xForwardedFor.join(',') : (xForwardedFor ?? '');
  const last = header.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').pop();
  if (!last) return 'unknown';
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) and plain IPv4 are the same client.
  return last.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}
