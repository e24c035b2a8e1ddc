/**
 * The local cluster's one entry point: a round-robin reverse proxy (http-proxy-3) in front of every node's app.
 * Round robin runs separately for page navigations and for other requests (see below).
 * It passes X-Forwarded-Host/-Proto/-For so NextAuth and Server Actions see the public origin, and it moves on to
 * the next node when one refuses the connection (stopped or restarting), so a rolling restart is invisible.
 * The nodes believe its X-Forwarded-For because it connects from its own address, listed in their TRUSTED_PROXIES.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';

export interface EntryPointProps {
  readonly host: string;
  readonly port: number;
  /** App base URLs, in round-robin order. */
  readonly targets: () => readonly string[];
  /** Largest request body buffered for a retry on another node. @default 1 MiB */
  readonly maxBufferedBodyBytes?: number;
}

export interface StartedEntryPoint {
  readonly url: string;
  /** Requests forwarded per target URL, for the status line. */
  readonly forwarded: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

export async function startEntryPoint(props: EntryPointProps): Promise<StartedEntryPoint> {
  // Connections to the nodes leave from the entry point's own address, the one the nodes trust (TRUSTED_PROXIES):
  // any other process on this machine connects from 127.0.0.1 and cannot pass itself off as forwarded.
  const proxy = createProxyServer({ xfwd: true, proxyTimeout: 120_000, localAddress: props.host });
  const forwarded = new Map<string, number>();
  // Two rotations: page navigations, and everything else. A page load is a navigation plus a fixed number of
  // sub-requests (scripts, RSC, session); with one shared counter an even count would send every navigation to
  // the same node, and a person reloading would never see the badge move.
  const nextIndex = { navigation: 0, other: 0 };
  const limit = props.maxBufferedBodyBytes ?? 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const targets = props.targets();
    if (targets.length === 0) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"no node is running"}');
      return;
    }
    const body = await readBody(req, limit);
    if (body === undefined) {
      res
        .writeHead(413, { 'content-type': 'application/json' })
        .end('{"error":"request body too large for the entry point"}');
      return;
    }
    const kind = req.headers['sec-fetch-mode'] === 'navigate' ? 'navigation' : 'other';
    const start = nextIndex[kind]++ % targets.length;
    for (let attempt = 0; attempt < targets.length; attempt++) {
      const target = targets[(start + attempt) % targets.length] as string;
      const outcome = await new Promise<'done' | 'retry'>((resolve) => {
        proxy.web(req, res, { target, buffer: Readable.from([body]) }, (error: NodeJS.ErrnoException) => {
          if (!res.headersSent && RETRYABLE.has(error.code ?? '') && attempt < targets.length - 1) resolve('retry');
          else {
            if (!res.headersSent) {
              res.writeHead(502, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: `node ${target} failed: ${error.code ?? error.message}` }));
            }
            resolve('done');
          }
        });
        res.once('finish', () => resolve('done'));
        res.once('close', () => resolve('done'));
      });
      if (outcome === 'done') {
        forwarded.set(target, (forwarded.get(target) ?? 0) + 1);
        return;
      }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500).end(error.message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(props.port, props.host, resolve);
  });
  return {
    url: `http://${props.host}:${props.port}`,
    forwarded,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      proxy.close();
    },
  };
}
