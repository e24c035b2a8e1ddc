import { LOGIN_LIMITS, LoginAttemptLimiter, type LoginLimits } from './loginRateLimit';

const limiterWith = (overrides: Partial<LoginLimits>) => new LoginAttemptLimiter({ ...LOGIN_LIMITS, ...overrides });

const fail = (limiter: LoginAttemptLimiter, account: string, address: string, nowMs: number, times: number) => {
  for (let i = 0; i < times; i++) expect(limiter.begin(account, address, nowMs + i).allowed).toBe(true);
};

describe('the sign-in attempt limiter', () => {
  it('refuses an address that keeps failing for one account, and says until when', () => {
    const limiter = new LoginAttemptLimiter();
    fail(limiter, 'ada@example.com', '10.0.0.1', 0, LOGIN_LIMITS.maxFailuresPerAccountAndAddress);
    expect(limiter.begin('ada@example.com', '10.0.0.1', 1_000)).toEqual({
      allowed: false,
      limitedBy: 'account-and-address',
      retryAfterMs: LOGIN_LIMITS.windowMs - 1_000,
    });
  });

  it("never locks the account itself: after an attacker's failures the owner, from another address, is let in", () => {
    const limiter = new LoginAttemptLimiter();
    fail(limiter, 'ada@example.com', '203.0.113.66', 0, LOGIN_LIMITS.maxFailuresPerAccountAndAddress);
    expect(limiter.begin('ada@example.com', '203.0.113.66', 10).allowed).toBe(false);
    expect(limiter.begin('ada@example.com', '198.51.100.5', 10)).toMatchObject({ allowed: true });
  });

  it('slows an account that fails from many addresses, doubling the wait up to a bound, and never refuses it', () => {
    const limiter = new LoginAttemptLimiter();
    const delays: number[] = [];
    for (let i = 0; i < LOGIN_LIMITS.freeFailuresPerAccount + 8; i++) {
      const verdict = limiter.begin('ada@example.com', `10.0.1.${i}`, i);
      if (!verdict.allowed) throw new Error(`attempt ${i} was refused`);
      delays.push(verdict.delayMs);
    }
    expect(delays.slice(0, LOGIN_LIMITS.freeFailuresPerAccount)).toEqual(
      Array(LOGIN_LIMITS.freeFailuresPerAccount).fill(0),
    );
    expect(delays.slice(LOGIN_LIMITS.freeFailuresPerAccount, LOGIN_LIMITS.freeFailuresPerAccount + 3)).toEqual([
      LOGIN_LIMITS.firstAccountDelayMs,
      2 * LOGIN_LIMITS.firstAccountDelayMs,
      4 * LOGIN_LIMITS.firstAccountDelayMs,
    ]);
    expect(delays[delays.length - 1]).toBe(LOGIN_LIMITS.maxAccountDelayMs);
  });

  it('slides: the oldest failure leaving the window lets exactly one more attempt in', () => {
    const limiter = new LoginAttemptLimiter();
    fail(limiter, 'ada@example.com', '10.0.0.1', 0, LOGIN_LIMITS.maxFailuresPerAccountAndAddress);
    expect(limiter.begin('ada@example.com', '10.0.0.1', LOGIN_LIMITS.windowMs - 1).allowed).toBe(false);
    expect(limiter.begin('ada@example.com', '10.0.0.1', LOGIN_LIMITS.windowMs).allowed).toBe(true);
    expect(limiter.begin('ada@example.com', '10.0.0.1', LOGIN_LIMITS.windowMs).allowed).toBe(false);
  });

  it('refuses an address that failed for many accounts, even for an account it never tried', () => {
    const limiter = new LoginAttemptLimiter();
    for (let i = 0; i < LOGIN_LIMITS.maxFailuresPerAddress; i++)
      expect(limiter.begin(`guess${i}@example.com`, '10.0.0.9', i).allowed).toBe(true);
    expect(limiter.begin('new@example.com', '10.0.0.9', 100)).toMatchObject({ allowed: false, limitedBy: 'address' });
    expect(limiter.begin('new@example.com', '10.0.0.10', 100).allowed).toBe(true);
  });

  it('counts attempts still in flight, so parallel guesses cannot all pass before the first failure', () => {
    const limiter = new LoginAttemptLimiter();
    const verdicts = Array.from({ length: 20 }, () => limiter.begin('ada@example.com', '10.0.0.1', 0).allowed);
    expect(verdicts.filter(Boolean)).toHaveLength(LOGIN_LIMITS.maxFailuresPerAccountAndAddress);
  });

  it('clears the account after a success and gives the address its attempt back', () => {
    const limiter = limiterWith({
      maxFailuresPerAccountAndAddress: 2,
      maxFailuresPerAddress: 2,
      freeFailuresPerAccount: 1,
    });
    expect(limiter.begin('ada@example.com', '10.0.0.1', 0)).toEqual({ allowed: true, delayMs: 0 });
    expect(limiter.begin('ada@example.com', '10.0.0.1', 1)).toEqual({
      allowed: true,
      delayMs: LOGIN_LIMITS.firstAccountDelayMs,
    });
    limiter.succeeded('ada@example.com', '10.0.0.1', 1);
    expect(limiter.begin('ada@example.com', '10.0.0.1', 2)).toEqual({ allowed: true, delayMs: 0 });
    expect(limiter.begin('ada@example.com', '10.0.0.1', 3)).toMatchObject({ allowed: false, limitedBy: 'address' });
  });

  it('keeps memory bounded, forgetting the least recently active keys', () => {
    const limiter = limiterWith({
      maxFailuresPerAccountAndAddress: 1,
      maxFailuresPerAddress: 1_000,
      maxTrackedKeys: 3,
    });
    for (let i = 0; i < 10; i++) limiter.begin(`user${i}@example.com`, '10.0.0.1', 0);
    expect(limiter.trackedKeys).toBe(7); // 3 pairs + 1 address + 3 accounts
    expect(limiter.begin('user0@example.com', '10.0.0.1', 0).allowed).toBe(true);
    expect(limiter.begin('user9@example.com', '10.0.0.1', 0).allowed).toBe(false);
  });
});
