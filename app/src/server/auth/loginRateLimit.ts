/**
 * Brute-force limits for sign-in, pure (the caller passes the clock). Failed attempts are counted in sliding
 * windows per account AND address together, per address, and per account:
 * - an address that keeps failing for one account is refused for that account (the attacker's own address);
 * - an address that fails for many accounts is refused for all (password spraying);
 * - an account that fails from many addresses is never refused, only slowed: each further attempt waits before
 *   its password check, longer the more failures (up to LOGIN_LIMITS.maxAccountDelayMs). So nobody can lock someone else
 *   out, the real user still signs in (a few seconds later), and a guesser spread over many addresses gets
 *   a handful of tries per address.
 * An attempt counts as failed from the moment it starts until it is known to have succeeded, so a burst of
 * parallel guesses cannot all slip in before the first failure is recorded. A success clears the account's
 * failures (the person got in) and takes back its own count from the address.
 *
 * Each app node keeps these counts in its own memory. An attacker spread over N nodes behind the round-robin entry
 * point gets at most N times the limit, still a few dozen guesses per quarter hour against bcrypt; no shared store
 * (or the database, on every failed attempt) is in the sign-in path.
 */
export interface LoginLimits {
  /** The sliding window every count is kept over. */
  readonly windowMs: number;
  /** Failed attempts one address may make against one account per window. */
  readonly maxFailuresPerAccountAndAddress: number;
  /** Higher than per account: several people behind one NAT or office address share it. */
  readonly maxFailuresPerAddress: number;
  /** Failures of an account (from anywhere) before its attempts start to wait. */
  readonly freeFailuresPerAccount: number;
  /** The first wait, doubled with every further failure up to maxAccountDelayMs. */
  readonly firstAccountDelayMs: number;
  readonly maxAccountDelayMs: number;
  /** Accounts, addresses and pairs tracked at once; past this the least recently active are forgotten. */
  readonly maxTrackedKeys: number;
}

export const LOGIN_LIMITS: LoginLimits = {
  windowMs: 15 * 60 * 1000,
  maxFailuresPerAccountAndAddress: 5,
  maxFailuresPerAddress: 30,
  freeFailuresPerAccount: 5,
  firstAccountDelayMs: 500,
  maxAccountDelayMs: 8_000,
  maxTrackedKeys: 50_000,
};

export type AttemptVerdict =
  /** Check the password after waiting `delayMs` (0 unless the account has failed often lately). */
  | { readonly allowed: true; readonly delayMs: number }
  | { readonly allowed: false; readonly limitedBy: 'account-and-address' | 'address'; readonly retryAfterMs: number };

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

  count(key: string, nowMs: number): number {
    return this.current(key, nowMs).length;
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
  private readonly pairs: SlidingWindowCounts;
  private readonly addresses: SlidingWindowCounts;
  private readonly accounts: SlidingWindowCounts;

  constructor(readonly limits: LoginLimits = LOGIN_LIMITS) {
    this.pairs = new SlidingWindowCounts(
      limits.windowMs,
      limits.maxFailuresPerAccountAndAddress,
      limits.maxTrackedKeys,
    );
    this.addresses = new SlidingWindowCounts(limits.windowMs, limits.maxFailuresPerAddress, limits.maxTrackedKeys);
    // Enough failures are kept to reach the longest delay; more would not change anything.
    const accountDepth =
      limits.freeFailuresPerAccount + Math.ceil(Math.log2(limits.maxAccountDelayMs / limits.firstAccountDelayMs)) + 1;
    this.accounts = new SlidingWindowCounts(limits.windowMs, accountDepth, limits.maxTrackedKeys);
  }

  /** Whether this attempt may check the password; if so it counts as failed until succeeded() says otherwise. */
  begin(account: string, address: string, nowMs: number): AttemptVerdict {
    const pair = pairKey(account, address);
    const pairWaitMs = this.pairs.blockedForMs(pair, nowMs);
    if (pairWaitMs > 0) return { allowed: false, limitedBy: 'account-and-address', retryAfterMs: pairWaitMs };
    const addressWaitMs = this.addresses.blockedForMs(address, nowMs);
    if (addressWaitMs > 0) return { allowed: false, limitedBy: 'address', retryAfterMs: addressWaitMs };
    const delayMs = this.accountDelayMs(this.accounts.count(account, nowMs));
    this.pairs.add(pair, nowMs);
    this.addresses.add(address, nowMs);
    this.accounts.add(account, nowMs);
    return { allowed: true, delayMs };
  }

  /** The attempt begun at `begunAtMs` signed in. */
  succeeded(account: string, address: string, begunAtMs: number): void {
    this.pairs.clear(pairKey(account, address));
    this.accounts.clear(account);
    this.addresses.removeOne(address, begunAtMs);
  }

  get trackedKeys(): number {
    return this.pairs.size + this.addresses.size + this.accounts.size;
  }

  private accountDelayMs(failures: number): number {
    const { freeFailuresPerAccount, firstAccountDelayMs, maxAccountDelayMs } = this.limits;
    if (failures < freeFailuresPerAccount) return 0;
    return Math.min(firstAccountDelayMs * 2 ** (failures - freeFailuresPerAccount), maxAccountDelayMs);
  }
}

function pairKey(account: string, address: string): string {
  return `${account}\u0000${address}`;
}
