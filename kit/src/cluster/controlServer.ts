/**
 * The running cluster's control API, on 127.0.0.1 with a random token, written to cluster.json (0600): how the
 * test harness (and `service:status`) reach a cluster that runs in another process.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LocalCluster } from './localCluster';

export interface ControlEndpoint {
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

const ROUTE =
  /^\/nodes\/(\d+)\/(stop|stop-app|start|stop-services|start-postgres|stop-postgres|kill-app|kill-sync|kill-postgres)$/;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

export async function startControlServer(cluster: LocalCluster, onShutdown: () => void): Promise<ControlEndpoint> {
  const token = randomBytes(24).toString('hex');
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer((req, res) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return send(res, 401, { error: 'bad token' });
    const run = async () => {
      if (req.method === 'GET' && req.url === '/state') return send(res, 200, cluster.state());
      if (req.method === 'GET' && req.url === '/peers') {
        return send(res, 200, Object.fromEntries(await cluster.peersConnected()));
      }
      if (req.method === 'POST' && req.url === '/shutdown') {
        send(res, 202, { stopping: true });
        onShutdown();
        return;
      }
      const match = req.method === 'POST' ? ROUTE.exec(req.url ?? '') : null;
      if (!match) return send(res, 404, { error: `no route ${req.method} ${req.url}` });
      const index = Number(match[1]);
      const action = match[2];
      const body = (await readJson(req)) as { overrides?: Record<string, string>; appDir?: unknown };
      if (body.appDir !== undefined && typeof body.appDir !== 'string')
        return send(res, 400, { error: 'appDir must be a folder path (a string)' });
      if (action === 'stop') await cluster.stopNode(index);
      else if (action === 'stop-app') await cluster.stopApp(index);
      else if (action === 'start') await cluster.startNode(index, body.overrides, body.appDir);
      else if (action === 'stop-services') await cluster.stopServices(index);
      else if (action === 'start-postgres') await cluster.startPostgresOf(index);
      else if (action === 'stop-postgres') await cluster.stopPostgresOf(index);
      else await cluster.killProcess(index, action?.slice('kill-'.length) as 'app' | 'sync' | 'postgres');
      return send(res, 200, cluster.state());
    };
    run().catch((error: Error) => send(res, 500, { error: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
