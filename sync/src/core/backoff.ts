/** Reconnect delays: short at first (peers starting together find each other fast), capped, with jitter. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Fraction of the delay randomly added or removed (0.2 = ±20%). */
  readonly jitter: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 };
/** After a refusal (wrong key, duplicate ID) retrying fast cannot help; the other side's restart dials us anyway. */
export const REFUSED_BACKOFF: BackoffPolicy = { initialMs: 5_000, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** Delay before attempt number `failures + 1`; `random` returns [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, failures: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, failures - 1));
  const spread = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}
