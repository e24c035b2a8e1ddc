/**
 * The HTTP(S) server on the sync port: a small route table, bounded bodies, header checks, and the access rule of
 * each route (open, loopback-or-authenticated, authenticated). Authentication itself is delegated.
 *
 * Connections are accepted by a plain TCP listener that admits them through the ConnectionGate (limits before
 * authentication) and, with TLS, looks at the first byte: a TLS ClientHello goes to the TLS server; plain HTTP
 * is served only to this host's own clients (127.0.0.1, ::1: the app's readiness, `status`, health checks) and
 * only on the routes marked `hostPlaintext`; from anywhere else the connection is closed without a byte written.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { DEFAULT_BODY_LIMIT_BYTES, PRE_AUTH_BODY_LIMIT_BYTES } from '../core/limits';
import { isHostLocalIp, isLoopbackIp, normalizeIp } from '../core/peerAddress';
import { ConnectionGate, type ConnectionGateLimits } from './connectionGate';

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
  /** With TLS on: also served in plain HTTP to this host's own clients (127.0.0.1, ::1). Operator routes only. */
  readonly hostPlaintext?: boolean;
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
  /**
   * What can be checked before the body is read: well-formed headers that name a live session of the claimed node.
   * Only a request that passes may send a body larger than PRE_AUTH_BODY_LIMIT_BYTES.
   */
  precheck(
    headers: http.IncomingHttpHeaders,
  ): { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly message: string };
  authenticate(request: {
    method: string;
    path: string;
    body: Buffer;
    headers: http.IncomingHttpHeaders;
  }): AuthenticationResult;
  /** Headers that sign a response to an authenticated request. */
  signResponse(caller: AuthenticatedCaller, status: number, body: Buffer): Record<string, string>;
}

export interface PeerServerOptions {
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly authenticator: RequestAuthenticator;
  /** Called for every request refused before a handler ran (malformed, unauthenticated, too large), and every
   * connection refused or closed before authentication (route 'connection'). */
  readonly onRejected: (reason: string, route: string) => void;
  /** Limits before authentication; each defaults to its constant in core/limits.ts. */
  readonly preAuth?: Partial<ConnectionGateLimits>;
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

/** The first byte of a TLS record carrying a handshake message (the ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

export class PeerServer {
  private readonly routes = new Map<string, Route>();
  /** Accepts TCP; hands each admitted connection to `tlsServer` or `plainServer`, which never listen themselves. */
  private readonly front: net.Server;
  private readonly tlsServer: https.Server | undefined;
  private readonly plainServer: http.Server;
  private readonly gate: ConnectionGate;

  constructor(private readonly options: PeerServerOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.dispatch(req, res);
    this.tlsServer = options.tls
      ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
      : undefined;
    this.plainServer = http.createServer(handler);
    for (const server of [this.tlsServer, this.plainServer]) {
      if (!server) continue;
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
      server.keepAliveTimeout = 65_000;
      server.maxHeadersCount = 64;
    }
    this.gate = new ConnectionGate(options.preAuth ?? {}, (reason) => options.onRejected(reason, 'connection'));
    this.front = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    const connection = this.gate.admit(socket);
    if (!connection) return;
    if (!this.tlsServer) {
      this.plainServer.emit('connection', socket);
      socket.resume();
      return;
    }
    const tlsServer = this.tlsServer;
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        tlsServer.emit('connection', socket);
      } else if (isHostLocalIp(connection.remoteIp)) {
        connection.hostPlaintext = true;
        this.plainServer.emit('connection', socket);
      } else {
        // Plain text from another machine: not a byte back (no status, no handshake, no error page).
        this.gate.refuse(connection, 'plaintext');
        return;
      }
      // On the next tick: the TLS socket takes over the buffered ClientHello only once it has wrapped the socket.
      process.nextTick(() => socket.resume());
    });
    socket.resume();
  }

  addRoute(route: Route): void {
    const key = `${route.method} ${route.path}`;
    if (this.routes.has(key)) throw new Error(`route ${key} is already registered`);
    this.routes.set(key, route);
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.front.once('error', onError);
      this.front.listen({ host, port }, () => {
        this.front.off('error', onError);
        // The inner servers never listen themselves; 'listening' starts Node's checks of headersTimeout and
        // requestTimeout on the connections handed to them.
        for (const inner of this.innerServers()) inner.emit('listening');
        resolve(this.front.address() as AddressInfo);
      });
    });
  }

  get listening(): boolean {
    return this.front.listening;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.front.listening) return resolve();
      this.front.close(() => resolve());
      this.gate.closeAll();
      // Stops their connection checks; they have no listening socket, so the callback's "not running" is expected.
      for (const inner of this.innerServers()) inner.close(() => undefined);
    });
  }

  private innerServers(): http.Server[] {
    return this.tlsServer ? [this.tlsServer, this.plainServer] : [this.plainServer];
  }

  /** Unauthenticated connections are closed after their one answer. */
  private send(
    res: http.ServerResponse,
    response: RouteResponse,
    extraHeaders: Record<string, string> = {},
    body?: Buffer,
  ): void {
    const payload = body ?? serialize(response);
    const connection = this.gate.connectionOf(res.socket);
    res.writeHead(response.status, {
      'content-type':
        response.contentType ?? (response.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json'),
      'content-length': String(payload.length),
      ...response.headers,
      ...extraHeaders,
      ...(connection?.authenticated ? {} : { connection: 'close' }),
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
      const known = [...this.routes.values()].some((r) => r.path === pathname);
      this.send(res, { status: known ? 405 : 404, json: { error: known ? 'method not allowed' : 'not found' } });
      return;
    }
    const connection = this.gate.connectionOf(req.socket);
    if (connection?.hostPlaintext && !route.hostPlaintext) {
      this.options.onRejected('tls-required', routeName);
      this.send(res, {
        status: 403,
        json: {
          error: 'tls-required',
          message: `${routeName} is served over TLS only (SYNC_TLS is on); plain HTTP on this port is for /health, /ready, /status and /metrics from this host`,
        },
      });
      return;
    }
    const remoteIp = normalizeIp(req.socket.remoteAddress ?? '');
    const { authenticator } = this.options;
    const authenticate = mustAuthenticate(route.access, remoteIp, authenticator.hasCredentials(req.headers));
    if (authenticate) {
      // Before a byte of the body: a caller without a live session gets no larger body than a handshake needs.
      const precheck = authenticator.precheck(req.headers);
      if (!precheck.ok) {
        this.options.onRejected(precheck.reason, routeName);
        this.send(res, { status: 401, json: { error: precheck.reason, message: precheck.message } });
        return;
      }
    }
    const routeLimit = route.maxBodyBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    const limit = authenticate ? routeLimit : Math.min(routeLimit, PRE_AUTH_BODY_LIMIT_BYTES);
    const body = await readBody(req, limit);
    if (body === 'too-large') {
      this.options.onRejected('too-large', routeName);
      this.send(res, { status: 413, json: { error: `body larger than ${limit} bytes` } }, { connection: 'close' });
      return;
    }
    let peer: AuthenticatedCaller | undefined;
    if (authenticate) {
      const result = authenticator.authenticate({ method, path: rawPath, body, headers: req.headers });
      if (!result.ok) {
        this.options.onRejected(result.reason, routeName);
        this.send(res, { status: 401, json: { error: result.reason, message: result.message } });
        return;
      }
      peer = result.caller;
      if (connection) this.gate.authenticated(connection);
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
