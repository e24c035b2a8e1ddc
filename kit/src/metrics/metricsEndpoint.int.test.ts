import { request } from 'node:http';
import { createServer } from 'node:net';
import { MetricsEndpointError, type StartedMetricsEndpoint, startMetricsEndpoint } from './metricsEndpoint';

const HOST = '127.0.41.1';

function call(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the plain-HTTP metrics endpoint', () => {
  let endpoint: StartedMetricsEndpoint;
  let failNext = false;

  beforeAll(async () => {
    endpoint = await startMetricsEndpoint({
      host: HOST,
      port: 0 as number,
      portVariable: 'TEST_METRICS_PORT',
      hostVariable: 'TEST_HOST',
      render: async () => {
        if (failNext) throw new Error('secret detail of the failure');
        return { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: 'msk_test_up 1\n' };
      },
    });
  });
  afterAll(() => endpoint?.close());

  it('serves the metrics text at GET /metrics, also with a query string', async () => {
    const answer = await call(endpoint.port, 'GET', '/metrics');
    expect(answer).toMatchObject({ status: 200, text: 'msk_test_up 1\n' });
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await call(endpoint.port, 'GET', '/metrics?format=text')).status).toBe(200);
    expect(await call(endpoint.port, 'HEAD', '/metrics')).toMatchObject({ status: 200, text: '' });
  });

  it('serves nothing else: other paths are 404, other methods 405, without echoing the request', async () => {
    for (const path of ['/', '/status', '/metrics/', '/api/ready', '/metricsx', '/%3Cscript%3E']) {
      const answer = await call(endpoint.port, 'GET', path);
      expect(answer.status).toBe(404);
      expect(answer.text).not.toContain('script');
    }
    const post = await call(endpoint.port, 'POST', '/metrics', 'x'.repeat(100_000));
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it("answers 500 without the error's text when the metrics cannot be rendered", async () => {
    failNext = true;
    try {
      const answer = await call(endpoint.port, 'GET', '/metrics');
      expect(answer.status).toBe(500);
      expect(answer.text).not.toContain('secret detail');
    } finally {
      failNext = false;
    }
  });

  it('throws if the port is taken, naming the variable and the fix', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = startMetricsEndpoint({
        host: HOST,
        port,
        portVariable: 'SYNC_METRICS_PORT',
        hostVariable: 'SYNC_BIND_ADDRESS',
        render: async () => ({ contentType: 'text/plain', text: '' }),
      });
      await expect(attempt).rejects.toThrow(MetricsEndpointError);
      await expect(attempt).rejects.toThrow(`SYNC_METRICS_PORT ${port} on ${HOST} is already in use`);
      await expect(attempt).rejects.toThrow(/Fix: stop what listens/);
    } finally {
      blocker.close();
    }
  });

  it("throws if the address is not one of this host's, naming the address variable", async () => {
    const attempt = startMetricsEndpoint({
      host: '192.0.2.1',
      port: 9464,
      portVariable: 'APP_METRICS_PORT',
      hostVariable: 'HOSTNAME',
      render: async () => ({ contentType: 'text/plain', text: '' }),
    });
    await expect(attempt).rejects.toThrow(/HOSTNAME 192\.0\.2\.1 is not an address of this host/);
  });
});
