import { TokenBuckets } from './tokenBucket';

const limits = { burst: 3, refillPerSecond: 2, maxKeys: 100 };

describe('token buckets per source address', () => {
  it('allows a burst, then refuses with the time until the next token', () => {
    const buckets = new TokenBuckets(limits);
    expect([1, 2, 3].map(() => buckets.take('10.0.0.1', 1_000).allowed)).toEqual([true, true, true]);
    expect(buckets.take('10.0.0.1', 1_000)).toEqual({ allowed: false, retryAfterMs: 500 });
  });

  it('earns tokens back over time, never more than the burst', () => {
    const buckets = new TokenBuckets(limits);
    for (let i = 0; i < 3; i++) buckets.take('a', 0);
    expect(buckets.take('a', 499).allowed).toBe(false);
    expect(buckets.take('a', 500).allowed).toBe(true);
    expect(buckets.take('a', 600_000).allowed).toBe(true);
    expect(buckets.take('a', 600_000).allowed).toBe(true);
    expect(buckets.take('a', 600_000).allowed).toBe(true);
    expect(buckets.take('a', 600_000).allowed).toBe(false);
  });

  it('limits each address on its own, so one flooding address does not stop another', () => {
    const buckets = new TokenBuckets(limits);
    for (let i = 0; i < 10; i++) buckets.take('flooder', 0);
    expect(buckets.take('flooder', 0).allowed).toBe(false);
    expect(buckets.take('real-peer', 0).allowed).toBe(true);
  });

  it('keeps at most maxKeys buckets, forgetting full (idle) ones first', () => {
    const buckets = new TokenBuckets({ burst: 2, refillPerSecond: 1, maxKeys: 2 });
    buckets.take('idle', 0);
    buckets.take('busy', 0);
    buckets.take('busy', 0);
    buckets.take('new', 1_000); // 'idle' has refilled to full by now and is forgotten; 'busy' is not.
    expect(buckets.size).toBe(2);
    expect(buckets.take('busy', 1_000).allowed).toBe(true);
    expect(buckets.take('busy', 1_000).allowed).toBe(false);
  });

  it('never forgets a limited key: a flood of new keys cannot reset it', () => {
    const buckets = new TokenBuckets({ burst: 2, refillPerSecond: 0.001, maxKeys: 4 });
    buckets.take('limited', 0);
    buckets.take('limited', 0);
    for (let i = 0; i < 10_000; i++) buckets.take(`flood-${i}`, 0);
    expect(buckets.size).toBe(4);
    expect(buckets.take('limited', 0).allowed).toBe(false);
  });

  it("lets keys beyond maxKeys share one overflow bucket, so between them they get one key's allowance", () => {
    const buckets = new TokenBuckets({ burst: 2, refillPerSecond: 0.5, maxKeys: 2 });
    buckets.take('a', 0);
    buckets.take('b', 0);
    const newcomers = ['c', 'd', 'e', 'f'].map((key) => buckets.take(key, 0).allowed);
    expect(newcomers).toEqual([true, true, false, false]);
    // 1.5 s later the overflow bucket has not earned a whole token back, and 'a' and 'b' are not full yet.
    expect(buckets.take('g', 1_500).allowed).toBe(false);
    // At 2 s 'a' and 'b' are full again (nothing to remember): they are forgotten and newcomers get their own.
    expect(buckets.take('h', 2_000).allowed).toBe(true);
    expect(buckets.take('i', 2_000).allowed).toBe(true);
    expect(buckets.size).toBe(2);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new TokenBuckets({ burst: 0, refillPerSecond: 1, maxKeys: 1 })).toThrow(/invalid token bucket limits/);
  });
});
