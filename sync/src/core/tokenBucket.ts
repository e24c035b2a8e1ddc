/**
 * Token buckets keyed by a string (a source address): each key may spend `burst` requests at once and earns
 * `refillPerSecond` back over time. Pure: the caller passes the clock. Memory is bounded by `maxKeys`; a full
 * bucket is the same as no bucket, so full ones are forgotten first.
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

  constructor(readonly limits: TokenBucketLimits) {
    if (limits.burst < 1 || limits.refillPerSecond <= 0 || limits.maxKeys < 1) throw new Error(`invalid token bucket limits ${JSON.stringify(limits)}`);
  }

  take(key: string, nowMs: number): TakeResult {
    const bucket = this.refilled(key, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / this.limits.refillPerSecond) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, nowMs: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.limits.maxKeys) this.evict(nowMs);
      bucket = { tokens: this.limits.burst, updatedAtMs: nowMs };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsedMs = Math.max(0, nowMs - bucket.updatedAtMs);
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + (elapsedMs / 1000) * this.limits.refillPerSecond);
    bucket.updatedAtMs = nowMs;
    return bucket;
  }

  private evict(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((nowMs - bucket.updatedAtMs) / 1000) * this.limits.refillPerSecond;
      if (tokens >= this.limits.burst) this.buckets.delete(key);
    }
    // Still full of active keys: forget the longest-known one (Map keeps insertion order).
    if (this.buckets.size >= this.limits.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
