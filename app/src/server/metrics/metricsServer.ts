/**
 * The app's metrics endpoint: GET /metrics on APP_METRICS_PORT (plain HTTP, on the HOSTNAME address), started once
 * from instrumentation.ts. Readiness is evaluated at each scrape, exactly as GET /api/ready would.
 */
import { writeSync } from 'node:fs';
import { MetricsEndpointError, type StartedMetricsEndpoint, startMetricsEndpoint } from '@msk/kit/metrics';
import { appConfig } from '../config';
import { log } from '../log';
import { evaluateReadiness } from '../readiness/nodeReadiness';
import { type AppMetrics, READINESS_CHECKS, appMetrics } from './appMetrics';
import { installHttpRequestMetrics } from './httpRequestMetrics';
import { processSingleton } from '../processSingleton';

async function refreshReadiness(metrics: AppMetrics): Promise<void> {
  const report = await evaluateReadiness();
  metrics.ready.set(report.httpStatus === 200 ? 1 : 0);
  for (const check of READINESS_CHECKS)
    metrics.readinessCheck.set({ check }, report.body.checks[check] === 'ok' ? 1 : 0);
}

async function start(): Promise<StartedMetricsEndpoint> {
  const config = appConfig();
  const metrics = appMetrics();
  installHttpRequestMetrics();
  const endpoint = await startMetricsEndpoint({
    host: config.hostname,
    port: config.appMetricsPort,
    portVariable: 'APP_METRICS_PORT',
    hostVariable: 'HOSTNAME',
    render: async () => {
      await refreshReadiness(metrics);
      return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
    },
    onRenderError: (error) =>
      log().error({ error: error instanceof Error ? error.message : String(error) }, 'metrics could not be rendered'),
  });
  installHttpRequestMetrics([endpoint.server]);
  log().info(
    {
      metrics: `http://${config.hostname.includes(':') ? `[${config.hostname}]` : config.hostname}:${endpoint.port}/metrics`,
    },
    'serving Prometheus metrics',
  );
  return endpoint;
}

/** Starts the endpoint once per process; a port that cannot be used stops the app with the reason and the fix. */
export function startAppMetrics(): Promise<StartedMetricsEndpoint> {
  return processSingleton('msk.app.metricsEndpoint', () =>
    start().catch((error: unknown) => {
      if (error instanceof MetricsEndpointError) {
        writeSync(2, `The app refuses to start: ${error.message}\n`);
        process.exit(1);
      }
      throw error;
    }),
  );
}
