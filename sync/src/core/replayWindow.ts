/**
 * Replay protection for signed messages: a message is accepted once, and only while its timestamp is fresh.
 * Nonces are remembered for as long as their timestamp could still pass the freshness test, so memory is bounded
 * by traffic within the window (and by maxNonces, past which the oldest are forgotten and the window shrinks
 * to match, refusing anything older than the oldest nonce still remembered).
 */
export type ReplayVerdict = 'fresh' | 'replayed' | 'stale';

export class ReplayWindow {
  private readonly seen = new Map<string, number>();
  /** Timestamps at or below this are refused because their nonces may have been forgotten. */
  private forgottenThroughMs = -Infinity;

  constructor(
    readonly windowMs: number,
    readonly maxNonces: number,
  ) {}

  check(nonce: string, timestampMs: number, nowMs: number): ReplayVerdict {
    this.expire(nowMs);
    if (Math.abs(timestampMs - nowMs) > this.windowMs || timestampMs <= this.forgottenThroughMs) return 'stale';
    if (this.seen.has(nonce)) return 'replayed';
    this.seen.set(nonce, timestampMs);
    if (this.seen.size > this.maxNonces) this.forgetOldest();
    return 'fresh';
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(nowMs: number): void {
    for (const [nonce, timestampMs] of this.seen) {
      if (timestampMs < nowMs - this.windowMs) this.seen.delete(nonce);
    }
  }

  private forgetOldest(): void {
    let oldestNonce: string | undefined;
    let oldestMs = Infinity;
    for (const [nonce, timestampMs] of this.seen) {
      if (timestampMs < oldestMs) {
        oldestMs = timestampMs;
        oldestNonce = nonce;
      }
    }
    if (oldestNonce !== undefined) {
      this.seen.delete(oldestNonce);
      this.forgottenThroughMs = Math.max(this.forgottenThroughMs, oldestMs);
    }
  }
}
