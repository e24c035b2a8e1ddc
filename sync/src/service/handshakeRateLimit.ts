/**
 * The handshake routes are the only ones open to anyone, and each hello costs key derivation and a pending
 * entry: a flood from one source address (an IPv6 /64 counts as one) is answered 429 with Retry-After (counted as
 * msk_sync_rejected_requests_total{reason="rate-limited"}) before the handler runs. A flood of addresses cannot
 * reset a limited one (see TokenBuckets).
 */
import { HANDSHAKE_BURST_PER_ADDRESS, HANDSHAKE_REFILL_PER_SECOND, MAX_RATE_LIMITED_ADDRESSES } from '../core/limits';
import { limitKey } from '../core/peerAddress';
import { TokenBuckets, type TokenBucketLimits } from '../core/tokenBucket';
import type { Route } from '../transport/peerServer';
import type { ServiceContext } from './serviceContext';

export const HANDSHAKE_RATE_LIMITS: TokenBucketLimits = {
  burst: HANDSHAKE_BURST_PER_ADDRESS,
  refillPerSecond: HANDSHAKE_REFILL_PER_SECOND,
  maxKeys: MAX_RATE_LIMITED_ADDRESSES,
};

/** At most one warning per this interval, so a flood does not become a log flood (the metric counts all). */
const WARN_INTERVAL_MS = 10_000;

export function rateLimitPerAddress(
  ctx: Pick<ServiceContext, 'metrics' | 'logger' | 'now'>,
  routes: readonly Route[],
  limits = HANDSHAKE_RATE_LIMITS,
): Route[] {
  const buckets = new TokenBuckets(limits);
  let lastWarnedAtMs = -Infinity;
  return routes.map((route) => ({
    ...route,
    handle(request) {
      const nowMs = ctx.now();
      const taken = buckets.take(limitKey(request.remoteIp), nowMs);
      if (taken.allowed) return route.handle(request);
      const routeName = `${route.method} ${route.path}`;
      ctx.metrics.rejectedRequests.inc({ reason: 'rate-limited', route: routeName });
      if (nowMs - lastWarnedAtMs >= WARN_INTERVAL_MS) {
        lastWarnedAtMs = nowMs;
        ctx.logger.warn(
          { remote: request.remoteIp, route: routeName },
          'rate-limited handshake requests from an address (more are counted in metrics, not logged)',
        );
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
      return {
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds) },
        json: {
          error: 'rate-limited',
          message: `too many handshake requests from ${request.remoteIp} (more than ${limits.burst} at once, ${limits.refillPerSecond}/s after); retry after ${retryAfterSeconds} s`,
        },
      };
    },
  }));
}
