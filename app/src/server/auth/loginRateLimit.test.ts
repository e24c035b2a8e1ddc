import {
  clientAddress,
  LOGIN_LIMIT_WINDOW_MS,
  LoginAttemptLimiter,
  MAX_FAILED_LOGINS_PER_ACCOUNT_PER_15_MIN,
  MAX_FAILED_LOGINS_PER_ADDRESS_PER_15_MIN,
} from './loginRateLimit';

const fail = (limiter: LoginAttemptLimiter, account: string, address: string, nowMs: number, times: number) => {
  for (let i = 0; i < times; i++) expect(limiter.begin(account, address, nowMs + i)).toEqual({ allowed: true });
};

describe('the sign-in attempt limiter', () => {
  it('refuses an account after the allowed failed attempts, and says until when', () => {
    const limiter = new LoginAttemptLimiter();
    fail(limiter, 'ada@example.com', '10.0.0.1', 0, MAX_FAILED_LOGINS_PER_ACCOUNT_PER_15_MIN);
    expect(limiter.begin('ada@example.com', '10.0.0.2', 1_000)).toEqual({ allowed: false, limitedBy: 'account', retryAfterMs: LOGIN_LIMIT_WINDOW_MS - 1_000 });
  });

  it('slides: the oldest failure leaving the window lets exactly one more attempt in', () => {
    const limiter = new LoginAttemptLimiter();
    fail(limiter, 'ada@example.com', '10.0.0.1', 0, MAX_FAILED_LOGINS_PER_ACCOUNT_PER_15_MIN);
    expect(limiter.begin('ada@example.com', '10.0.0.1', LOGIN_LIMIT_WINDOW_MS - 1).allowed).toBe(false);
    expect(limiter.begin('ada@example.com', '10.0.0.1', LOGIN_LIMIT_WINDOW_MS).allowed).toBe(true);
    expect(limiter.begin('ada@example.com', '10.0.0.1', LOGIN_LIMIT_WINDOW_MS).allowed).toBe(false);
  });

  it('refuses an address that failed for many accounts, even for an account it never tried', () => {
    const limiter = new LoginAttemptLimiter();
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS_PER_15_MIN; i++) expect(limiter.begin(`guess${i}@example.com`, '10.0.0.9', i).allowed).toBe(true);
    expect(limiter.begin('new@example.com', '10.0.0.9', 100)).toMatchObject({ allowed: false, limitedBy: 'address' });
    expect(limiter.begin('new@example.com', '10.0.0.10', 100).allowed).toBe(true);
  });

  it('counts attempts still in flight, so parallel guesses cannot all pass before the first failure', () => {
    const limiter = new LoginAttemptLimiter();
    const verdicts = Array.from({ length: 20 }, () => limiter.begin('ada@example.com', '10.0.0.1', 0).allowed);
    expect(verdicts.filter(Boolean)).toHaveLength(MAX_FAILED_LOGINS_PER_ACCOUNT_PER_15_MIN);
  });

  it('clears the account after a success and gives the address its attempt back', () => {
    const limiter = new LoginAttemptLimiter({ windowMs: 1_000, maxFailuresPerAccount: 2, maxFailuresPerAddress: 2, maxTrackedKeys: 100 });
    expect(limiter.begin('ada@example.com', '10.0.0.1', 0).allowed).toBe(true);
    expect(limiter.begin('ada@example.com', '10.0.0.1', 1).allowed).toBe(true);
    limiter.succeeded('ada@example.com', '10.0.0.1', 1);
    expect(limiter.begin('ada@example.com', '10.0.0.1', 2).allowed).toBe(true);
    expect(limiter.begin('ada@example.com', '10.0.0.1', 3)).toMatchObject({ allowed: false, limitedBy: 'address' });
  });

  it('keeps memory bounded, forgetting the least recently active keys', () => {
    const limiter = new LoginAttemptLimiter({ windowMs: 1_000, maxFailuresPerAccount: 1, maxFailuresPerAddress: 1_000, maxTrackedKeys: 3 });
    for (let i = 0; i < 10; i++) limiter.begin(`user${i}@example.com`, '10.0.0.1', 0);
    expect(limiter.trackedKeys).toBe(4); // 3 accounts + 1 address
    expect(limiter.begin('user0@example.com', '10.0.0.1', 0).allowed).toBe(true);
    expect(limiter.begin('user9@example.com', '10.0.0.1', 0).allowed).toBe(false);
  });
});

describe('the client address of a sign-in', () => {
  it('is the last X-Forwarded-For entry: the one the entry point appended', () => {
    expect(clientAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('1.2.3.4, 203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress(['9.9.9.9', '203.0.113.7 '])).toBe('203.0.113.7');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddress('2001:DB8::1')).toBe('2001:db8::1');
  });

  it('is "unknown" without the header', () => {
    expect(clientAddress(undefined)).toBe('unknown');
    expect(clientAddress(' , ')).toBe('unknown');
  });
});
