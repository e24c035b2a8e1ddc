import { SESSION_REFUSAL_REASONS, SIGN_IN_RESULTS, countRequest, createAppMetrics } from './appMetrics';

describe('the app metrics registry', () => {
  it('starts every sign-in result and session refusal reason at 0, so rates see a series from the first scrape', async () => {
    const metrics = createAppMetrics({ collectProcessMetrics: false });
    const text = await metrics.registry.metrics();
    for (const result of SIGN_IN_RESULTS) expect(text).toContain(`msk_app_sign_ins_total{result="${result}"} 0`);
    for (const reason of SESSION_REFUSAL_REASONS)
      expect(text).toContain(`msk_app_sessions_refused_total{reason="${reason}"} 0`);
  });

  it('counts a request under its labels and observes its duration by route group', async () => {
    const metrics = createAppMetrics({ collectProcessMetrics: false });
    countRequest(metrics, { route: 'api-users', method: 'POST', status: '2xx' }, 0.03);
    countRequest(metrics, { route: 'api-users', method: 'POST', status: '2xx' }, 0.2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('msk_app_http_requests_total{route="api-users",method="POST",status="2xx"} 2');
    expect(text).toContain('msk_app_http_request_duration_seconds_bucket{le="0.05",route="api-users"} 1');
    expect(text).toContain('msk_app_http_request_duration_seconds_count{route="api-users"} 2');
  });

  it('adds the Node.js process metrics with the msk_app_ prefix when asked', async () => {
    const text = await createAppMetrics({ collectProcessMetrics: true }).registry.metrics();
    expect(text).toMatch(/^msk_app_process_cpu_seconds_total /m);
    expect(text).toMatch(/^msk_app_nodejs_eventloop_lag_p99_seconds /m);
  });
});
