/**
 * HTTP(S) client to peers: keep-alive connections from this node's bind address, bounded bodies, timeouts,
 * and errors translated into sentences an operator can act on. Knows nothing about authentication.
 *
 * Certificates are not checked against a CA: the handshake tells each side which certificate the other holds
 * (covered by the keyed proofs), and every later request names that certificate (`pinnedCertSha256`). A pinned
 * request gets a connection only after the TLS handshake showed that certificate: the check runs before the
 * socket is handed to HTTP, so a server with another certificate never receives a byte of the request.
 */
import type { Duplex } from 'node:stream';
import http from 'node:http';
import https from 'node:https';
import tls, { type TLSSocket } from 'node:tls';
import { parsePeerAddress } from '../core/peerAddress';
import { certificateSha256 } from './tlsMaterial';

export interface PeerResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** SHA-256 of the certificate the server presented (TLS), null on plain HTTP. */
  readonly tlsCertSha256: string | null;
}

export interface PeerRequest {
  readonly address: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /**
   * SHA-256 (lowercase hex) of the only certificate the server may present (TLS). Unset: any certificate, for the
   * first message of a handshake, which carries nothing secret and learns the peer's certificate.
   */
  readonly pinnedCertSha256?: string;
}

export interface PeerClientOptions {
  readonly tls: boolean;
  readonly defaultPort: number;
  /** Source address for outgoing connections (so peers see this node's address, not 127.0.0.1). */
  readonly localAddress?: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

export class PeerRequestError extends Error {
  override readonly name = 'PeerRequestError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export function describeConnectionError(error: NodeJS.ErrnoException, address: string, tls: boolean): PeerRequestError {
  const code = error.code ?? 'ERROR';
  const text = (() => {
    switch (code) {
      case 'ECONNREFUSED':
        return `connection refused at ${address}: no sync service listens there (not started, or another port)`;
      case 'ETIMEDOUT':
      case 'TIMEOUT':
        return `no answer from ${address} in time: a firewall may drop TCP to the sync port, or the host is down`;
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `${address} is unreachable from this host (routing, or the host is down)`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `the host name of ${address} does not resolve`;
      case 'EADDRNOTAVAIL':
        return `cannot connect to ${address} from this node's bind address (SYNC_BIND_ADDRESS is not an address of this host?)`;
      case 'ECONNRESET':
        return tls
          ? `${address} reset the connection during TLS: is it configured for TLS too (SYNC_TLS)?`
          : `${address} reset the connection: if that node uses TLS on its sync port (SYNC_TLS=on, the default), remove SYNC_TLS=off on this node too`;
      case TLS_CERTIFICATE_MISMATCH:
        return `${address} presented a TLS certificate other than the one its handshake proved (${error.message}); nothing was sent`;
      case 'EPROTO':
      case 'ERR_SSL_WRONG_VERSION_NUMBER':
        return `${address} does not speak TLS: SYNC_TLS must be the same on every node (on, the default; off only as an opt-out everywhere)`;
      default:
        return `request to ${address} failed: ${code}${error.message ? ` (${error.message})` : ''}`;
    }
  })();
  return new PeerRequestError(text, code);
}

/** Error code of a connection refused because the server's certificate is not the pinned one. */
export const TLS_CERTIFICATE_MISMATCH = 'TLS_CERTIFICATE_MISMATCH';

type PinnedConnectOptions = http.RequestOptions & { readonly pinnedCertSha256?: string };

/**
 * An https.Agent whose connections are keyed by the pinned certificate as well (a socket verified for one pin is
 * never reused for another) and handed to HTTP only after the pin was checked on the finished TLS handshake.
 * No TLS session cache: every connection shows its certificate.
 */
class PinningAgent extends https.Agent {
  override getName(options: PinnedConnectOptions = {}): string {
    return `${super.getName(options)}:pin=${options.pinnedCertSha256 ?? 'none'}`;
  }

  override createConnection(
    options: PinnedConnectOptions,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    const pin = options.pinnedCertSha256;
    const socket = tls.connect({
      ...(options as tls.ConnectionOptions),
      rejectUnauthorized: false,
      session: undefined,
    });
    if (pin === undefined || callback === undefined) return socket;
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      socket.off('error', onError);
      if (error) socket.destroy();
      callback(error, socket);
    };
    const onError = (error: Error) => finish(error);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      const seen = raw ? certificateSha256(raw) : 'none';
      if (seen === pin) return finish(null);
      finish(
        Object.assign(new Error(`presented ${seen.slice(0, 16)}…, pinned ${pin.slice(0, 16)}…`), {
          code: TLS_CERTIFICATE_MISMATCH,
        }),
      );
    });
    return undefined;
  }
}

export class PeerClient {
  private readonly agent: http.Agent;

  constructor(private readonly options: PeerClientOptions) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: 8,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    };
    this.agent = options.tls
      ? new PinningAgent({ ...agentOptions, rejectUnauthorized: false, maxCachedSessions: 0 })
      : new http.Agent(agentOptions);
  }

  get usesTls(): boolean {
    return this.options.tls;
  }

  request(req: PeerRequest): Promise<PeerResponse> {
    const { host, port } = parsePeerAddress(req.address, this.options.defaultPort);
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    const body = req.body ?? Buffer.alloc(0);
    const transport = this.options.tls ? https : http;
    return new Promise<PeerResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: PeerRequestError) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const request = transport.request(
        {
          host,
          port,
          method: req.method,
          path: req.path,
          agent: this.agent,
          ...(this.options.tls && req.pinnedCertSha256 !== undefined ? { pinnedCertSha256: req.pinnedCertSha256 } : {}),
          headers: {
            ...(req.method === 'POST'
              ? { 'content-type': 'application/json', 'content-length': String(body.length) }
              : {}),
            ...req.headers,
          },
        },
        (res) => {
          const socket = res.socket as TLSSocket;
          let tlsCertSha256: string | null = null;
          if (this.options.tls && typeof socket.getPeerCertificate === 'function') {
            const cert = socket.getPeerCertificate();
            tlsCertSha256 = cert && cert.raw ? certificateSha256(cert.raw) : null;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.options.maxResponseBytes) {
              res.destroy();
              fail(
                new PeerRequestError(
                  `answer from ${req.address} exceeds ${this.options.maxResponseBytes} bytes`,
                  'TOO_LARGE',
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), tlsCertSha256 });
          });
          res.on('error', (error) => fail(describeConnectionError(error, req.address, this.options.tls)));
        },
      );
      request.setTimeout(timeoutMs, () => {
        request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' }));
      });
      request.on('error', (error: NodeJS.ErrnoException) =>
        fail(describeConnectionError(error, req.address, this.options.tls)),
      );
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
