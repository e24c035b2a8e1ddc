/**
 * The app's Prometheus metrics: one registry per process, kept on globalThis because Next.js bundles the proxy,
 * route handlers, pages and instrumentation into separate module graphs (like config.ts). Labels come only from
 * fixed sets (requestLabels, the outcome and reason unions below): no path, email, address or id ever becomes a
 * label value, so a hostile client cannot grow the series count.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MethodLabel, RouteGroup, StatusClass } from './requestLabels';
import { processSingleton } from '../processSingleton';

export const SIGN_IN_RESULTS = ['success', 'failure', 'rate-limited'] as const;
export type SignInResult = (typeof SIGN_IN_RESULTS)[number];

/**
 * Why a session cookie was not accepted: its credential stamp is stale (password changed since it was issued),
 * its user was deleted, it could not be opened with any NEXTAUTH_SECRET this node has (or is malformed), or it
 * expired.
 */
export const SESSION_REFUSAL_REASONS = ['stale-credential-stamp', 'deleted-user', 'bad-cookie', 'expired'] as const;
export type SessionRefusalReason = (typeof SESSION_REFUSAL_REASONS)[number];

export const READINESS_CHECKS = ['config', 'database', 'migrations', 'sync', 'initialLoad'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface AppMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpRequestSeconds: Histogram<'route'>;
  readonly signIns: Counter<'result'>;
  readonly sessionsRefused: Counter<'reason'>;
  readonly ready: Gauge;
  readonly readinessCheck: Gauge<'check'>;
}

export function createAppMetrics(options: { collectProcessMetrics: boolean }): AppMetrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'msk_app_' });
  const registers = [registry];
  const metrics: AppMetrics = {
    registry,
    httpRequests: new Counter({
      name: 'msk_app_http_requests_total',
      help: 'HTTP requests answered by the app, by route group, method and status class',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    httpRequestSeconds: new Histogram({
      name: 'msk_app_http_request_duration_seconds',
      help: "Time from a request's arrival to the end of its answer, by route group",
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    signIns: new Counter({
      name: 'msk_app_sign_ins_total',
      help: 'Sign-in attempts with email and password: success, failure (wrong or unknown credentials), rate-limited',
      labelNames: ['result'],
      registers,
    }),
    sessionsRefused: new Counter({
      name: 'msk_app_sessions_refused_total',
      help: 'Session cookies refused when read: stale-credential-stamp, deleted-user, bad-cookie (no NEXTAUTH_SECRET of this node opens it), expired',
      labelNames: ['reason'],
      registers,
    }),
    ready: new Gauge({
      name: 'msk_app_ready',
      help: '1 when GET /api/ready would answer 200 (checked at each scrape), 0 otherwise',
      registers,
    }),
    readinessCheck: new Gauge({
      name: 'msk_app_readiness_check',
      help: '1 when this readiness check passes (config, database, migrations, sync, initialLoad), 0 otherwise; checked at each scrape',
      labelNames: ['check'],
      registers,
    }),
  };
  // Every label combination exists from the start, so rate() and absent() see a 0 rather than no series.
  for (const result of SIGN_IN_RESULTS) metrics.signIns.inc({ result }, 0);
  for (const reason of SESSION_REFUSAL_REASONS) metrics.sessionsRefused.inc({ reason }, 0);
  return metrics;
}

/** This process's metrics (created on first use, with Node.js process metrics). */
export function appMetrics(): AppMetrics {
  return processSingleton('msk.app.metrics', () => createAppMetrics({ collectProcessMetrics: true }));
}

export function countRequest(
  metrics: AppMetrics,
  labels: { route: RouteGroup; method: MethodLabel; status: StatusClass },
  seconds: number,
): void {
  metrics.httpRequests.inc(labels);
  metrics.httpRequestSeconds.observe({ route: labels.route }, seconds);
}

/** Counting must never break the request it counts. */
export function countSafely(count: (metrics: AppMetrics) => void): void {
  try {
    count(appMetrics());
  } catch {
    // a metric that cannot be counted is lost, not the request
  }
}
