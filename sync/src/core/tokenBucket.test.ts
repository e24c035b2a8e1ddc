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

  it('forgets the oldest key when every bucket is in use', () => {
    const buckets = new TokenBuckets({ burst: 1, refillPerSecond: 0.001, maxKeys: 2 });
    buckets.take('first', 0);
    buckets.take('second', 0);
    buckets.take('third', 0);
    expect(buckets.size).toBe(2);
    expect(buckets.take('first', 0).allowed).toBe(true);
  });

  it('refuses nonsensical limits', () => {
    expect(() => new TokenBuckets({ burst: 0, refillPerSecond: 1, maxKeys: 1 })).toThrow(/invalid token bucket limits/);
  });
});
