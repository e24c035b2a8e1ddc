/**
 * The HTTP(S) server on the sync port: a small route table, bounded bodies, header checks, and the access rule of
 * each route (open, loopback-or-authenticated, authenticated). Authentication itself is delegated.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { DEFAULT_BODY_LIMIT_BYTES } from '../core/limits';
import { isLoopbackIp, normalizeIp } from '../core/peerAddress';

export type Access = 'open' | 'loopback-or-peer' | 'peer';

export interface RouteRequest {
  readonly method: string;
  /** Path with query string, as signed. */
  readonly path: string;
  readonly remoteIp: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Parsed JSON body; undefined for an empty body. */
  readonly json: unknown;
  /** The authenticated peer, when the request carried a valid signature. */
  readonly peer: AuthenticatedCaller | undefined;
}

export interface RouteResponse {
  readonly status: number;
  /** Serialized as JSON unless `text` is set. */
  readonly json?: unknown;
  readonly text?: string;
  readonly contentType?: string;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly access: Access;
  readonly maxBodyBytes?: number;
  handle(request: RouteRequest): Promise<RouteResponse> | RouteResponse;
}

export interface AuthenticatedCaller {
  readonly peerId: string;
  readonly sessionId: string;
  readonly nonce: string;
}

export type AuthenticationResult =
  | { readonly ok: true; readonly caller: AuthenticatedCaller }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface RequestAuthenticator {
  /** Whether the request carries authentication headers at all. */
  hasCredentials(headers: http.IncomingHttpHeaders): boolean;
  authenticate(request: { method: string; path: string; body: Buffer; headers: http.IncomingHttpHeaders }): AuthenticationResult;
  /** Headers that sign a response to an authenticated request. */
  signResponse(caller: AuthenticatedCaller, status: number, body: Buffer): Record<string, string>;
}

export interface PeerServerOptions {
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly authenticator: RequestAuthenticator;
  /** Called for every request refused before a handler ran (malformed, unauthenticated, too large). */
  readonly onRejected: (reason: string, route: string) => void;
  readonly onHandlerError: (error: unknown, route: string) => void;
}

/**
 * Whether a request must pass the signature check: always on peer routes; on loopback-or-peer routes when the
 * client is not on loopback; and whenever a request to a non-open route carries credentials (a bad signature is
 * refused even from loopback).
 */
export function mustAuthenticate(access: Access, remoteIp: string, hasCredentials: boolean): boolean {
  if (access === 'open') return false;
  if (access === 'peer' || hasCredentials) return true;
  return !isLoopbackIp(remoteIp);
}

export class PeerServer {
  private readonly routes = new Map<string, Route>();
  private readonly server: http.Server;

  constructor(private readonly options: PeerServerOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.dispatch(req, res);
    this.server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.keepAliveTimeout = 65_000;
    this.server.maxHeadersCount = 64;
  }

  addRoute(route: Route): void {
    const key = `${route.method} ${route.path}`;
    if (this.routes.has(key)) throw new Error(`route ${key} is already registered`);
    this.routes.set(key, route);
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get listening(): boolean {
    return this.server.listening;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(res: http.ServerResponse, response: RouteResponse, extraHeaders: Record<string, string> = {}, body?: Buffer): void {
    const payload = body ?? serialize(response);
    res.writeHead(response.status, {
      'content-type': response.contentType ?? (response.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json'),
      'content-length': String(payload.length),
      ...response.headers,
      ...extraHeaders,
    });
    res.end(payload);
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawPath = req.url ?? '/';
    const pathname = rawPath.split('?')[0] as string;
    const method = req.method ?? 'GET';
    const route = this.routes.get(`${method} ${pathname}`);
    const routeName = route ? `${route.method} ${route.path}` : 'unknown';
    if (!route) {
      req.resume();
      const known = [...this.routes.values()].some((r) => r.path === pathname);
      this.send(res, { status: known ? 405 : 404, json: { error: known ? 'method not allowed' : 'not found' } });
      return;
    }
    const limit = route.maxBodyBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    const body = await readBody(req, limit);
    if (body === 'too-large') {
      this.options.onRejected('too-large', routeName);
      this.send(res, { status: 413, json: { error: `body larger than ${limit} bytes` } }, { connection: 'close' });
      return;
    }
    const remoteIp = normalizeIp(req.socket.remoteAddress ?? '');
    const { authenticator } = this.options;
    let peer: AuthenticatedCaller | undefined;
    if (mustAuthenticate(route.access, remoteIp, authenticator.hasCredentials(req.headers))) {
      const result = authenticator.authenticate({ method, path: rawPath, body, headers: req.headers });
      if (!result.ok) {
        this.options.onRejected(result.reason, routeName);
        this.send(res, { status: 401, json: { error: result.reason, message: result.message } });
        return;
      }
      peer = result.caller;
    }
    let json: unknown;
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        this.options.onRejected('malformed', routeName);
        this.send(res, { status: 400, json: { error: 'malformed', message: 'body is not JSON' } });
        return;
      }
    }
    let response: RouteResponse;
    try {
      response = await route.handle({ method, path: rawPath, remoteIp, headers: req.headers, body, json, peer });
    } catch (error) {
      this.options.onHandlerError(error, routeName);
      response = { status: 500, json: { error: 'internal error' } };
    }
    const payload = serialize(response);
    const signature = peer ? authenticator.signResponse(peer, response.status, payload) : {};
    this.send(res, response, signature, payload);
  }
}

function serialize(response: RouteResponse): Buffer {
  if (response.text !== undefined) return Buffer.from(response.text, 'utf8');
  return Buffer.from(response.json === undefined ? '' : JSON.stringify(response.json), 'utf8');
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve(Buffer.alloc(0));
      }
    });
  });
}
