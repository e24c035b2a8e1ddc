/**
 * A plain-HTTP listener that serves one thing: Prometheus' text format at GET /metrics. The app (APP_METRICS_PORT)
 * and the sync service (SYNC_METRICS_PORT) each run one beside their own port, so a Prometheus server on another
 * host can scrape them without TLS, credentials or access to anything else. Every other path answers 404, every
 * other method 405; no request body is read; slow or idle clients are cut off.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const METRICS_PATH = '/metrics';
/** A scrape that has not sent its headers by then is dropped (Prometheus' own timeout is 10 s by default). */
export const METRICS_HEADERS_TIMEOUT_MS = 5_000;
export const METRICS_REQUEST_TIMEOUT_MS = 10_000;
/** Scrapers are few; a flood of connections gets no more than this many sockets. */
export const MAX_METRICS_CONNECTIONS = 64;

export interface MetricsText {
  readonly contentType: string;
  readonly text: string;
}

export interface MetricsEndpointProps {
  readonly host: string;
  readonly port: number;
  /** The variable that chose the port, named in errors (APP_METRICS_PORT / SYNC_METRICS_PORT). */
  readonly portVariable: string;
  /** The variable that chose the address, named in errors (HOSTNAME / SYNC_BIND_ADDRESS). */
  readonly hostVariable: string;
  readonly render: () => Promise<MetricsText>;
  /** Called when render throws; the scrape gets a 500 without the error's text. */
  readonly onRenderError?: (error: unknown) => void;
}

export interface StartedMetricsEndpoint {
  readonly host: string;
  readonly port: number;
  /** The node:http server, so a process can tell its own metrics requests from others. */
  readonly server: Server;
  close(): Promise<void>;
}

export class MetricsEndpointError extends Error {
  override readonly name = 'MetricsEndpointError';
}

export function listenErrorMessage(
  error: NodeJS.ErrnoException,
  props: Pick<MetricsEndpointProps, 'host' | 'port' | 'portVariable' | 'hostVariable'>,
): string {
  const where = `${props.host}:${props.port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `${props.portVariable} ${props.port} on ${props.host} is already in use, so the metrics cannot be served. Fix: stop what listens on ${where} or set ${props.portVariable} to a free port.`;
    case 'EADDRNOTAVAIL':
      return `${props.hostVariable} ${props.host} is not an address of this host, so the metrics cannot be served. Fix: use 0.0.0.0 or one of this server's addresses.`;
    case 'EACCES':
      return `not allowed to listen on ${where} for the metrics. Fix: set ${props.portVariable} to a port above 1023.`;
    default:
      return `cannot serve the metrics on ${where} (${props.portVariable}): ${error.code ?? error.message}`;
  }
}

function answer(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(text);
}

async function handle(props: MetricsEndpointProps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // The path only; a query string (some scrapers add one) is ignored, never echoed.
  const path = (request.url ?? '').split('?')[0];
  if (path !== METRICS_PATH) return answer(response, 404, `not found: this port serves only GET ${METRICS_PATH}\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return answer(response, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  let metrics: MetricsText;
  try {
    metrics = await props.render();
  } catch (error) {
    props.onRenderError?.(error);
    return answer(response, 500, 'metrics could not be collected; see the service log\n');
  }
  response.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : metrics.text);
}

export async function startMetricsEndpoint(props: MetricsEndpointProps): Promise<StartedMetricsEndpoint> {
  const server = createServer(
    { headersTimeout: METRICS_HEADERS_TIMEOUT_MS, requestTimeout: METRICS_REQUEST_TIMEOUT_MS },
    (request, response) => {
      // Nothing is read from a body: drain it so a client that sent one is not left hanging.
      request.resume();
      void handle(props, request, response);
    },
  );
  server.maxConnections = MAX_METRICS_CONNECTIONS;
  server.keepAliveTimeout = METRICS_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(new MetricsEndpointError(listenErrorMessage(error, props)));
    server.once('error', failed);
    server.listen(props.port, props.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : props.port;
  let closing: Promise<void> | undefined;
  return {
    host: props.host,
    port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
