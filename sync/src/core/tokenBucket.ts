/**
 * Token buckets keyed by a string (a source address): each key may spend `burst` requests at once and earns
 * `refillPerSecond` back over time. Pure: the caller passes the clock. Memory is bounded by `maxKeys`: a full
 * bucket is the same as no bucket, so only full ones are ever forgotten; while every tracked key is still
 * limited, new keys share one overflow bucket. So a flood of new keys can neither reset a limited key nor get
 * more than one key's allowance between them.
 */
export interface TokenBucketLimits {
  readonly burst: number;
  readonly refillPerSecond: number;
  readonly maxKeys: number;
}

export type TakeResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly overflow: Bucket;

  constructor(readonly limits: TokenBucketLimits) {
    if (limits.burst < 1 || limits.refillPerSecond <= 0 || limits.maxKeys < 1)
      throw new Error(`invalid token bucket limits ${JSON.stringify(limits)}`);
    this.overflow = { tokens: limits.burst, updatedAtMs: -Infinity };
  }

  take(key: string, nowMs: number): TakeResult {
    const bucket = this.bucketFor(key, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / this.limits.refillPerSecond) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private bucketFor(key: string, nowMs: number): Bucket {
    const known = this.buckets.get(key);
    if (known) {
      // Most recently used last: the front of the map is where full buckets are found first.
      this.buckets.delete(key);
      this.buckets.set(key, known);
      return this.refill(known, nowMs);
    }
    if (this.buckets.size >= this.limits.maxKeys) this.forgetFullBuckets(nowMs);
    if (this.buckets.size >= this.limits.maxKeys) return this.refill(this.overflow, nowMs);
    const bucket = { tokens: this.limits.burst, updatedAtMs: nowMs };
    this.buckets.set(key, bucket);
    return bucket;
  }

  private refill(bucket: Bucket, nowMs: number): Bucket {
    const elapsedMs = bucket.updatedAtMs === -Infinity ? 0 : Math.max(0, nowMs - bucket.updatedAtMs);
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + (elapsedMs / 1000) * this.limits.refillPerSecond);
    bucket.updatedAtMs = Math.max(bucket.updatedAtMs, nowMs);
    return bucket;
  }

  /**
   * Forgets full buckets from the least recently used end, stopping at the first one still in use: O(1) amortized
   * per call, so a flood of new keys against a full table costs no scan of the table each.
   */
  private forgetFullBuckets(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.refill(bucket, nowMs).tokens < this.limits.burst) return;
      this.buckets.delete(key);
    }
  }
}
