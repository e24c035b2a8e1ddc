/**
 * Signed requests to an authenticated peer over its session, with the answer's signature checked. On TLS the
 * request goes out only on a connection whose certificate is the one the peer's handshake proved (checked on the
 * TLS handshake, before a byte of the request is written). What heartbeats, goodbyes and plugins (replication)
 * use to talk to peers.
 */
import { AUTH_HEADERS, signRequest, verifyResponse } from '../core/requestSignature';
import { NONCE_BYTES } from '../core/limits';
import { PeerRequestError, type PeerResponse, TLS_CERTIFICATE_MISMATCH } from '../transport/peerClient';
import type { ServiceContext } from './serviceContext';

export interface SignedAnswer {
  readonly status: number;
  readonly body: Buffer;
  /** Parsed JSON body, undefined when empty or not JSON. */
  readonly json: unknown;
}

export class PeerChannelError extends Error {
  override readonly name = 'PeerChannelError';
  constructor(
    message: string,
    /** 'no-session', 'unknown-session' (peer forgot us), 'bad-signature', 'tls-certificate-mismatch', or a connection code. */
    readonly code: string,
  ) {
    super(message);
  }
}

export async function signedRequest(
  ctx: ServiceContext,
  peerId: string,
  request: { method: 'GET' | 'POST'; path: string; json?: unknown; timeoutMs?: number },
): Promise<SignedAnswer> {
  const node = ctx.registry.nodes.get(peerId);
  const session = node && ctx.sessions.forPeer(peerId, node.identity.instanceId);
  if (!node || !session) throw new PeerChannelError(`no authenticated session with peer ${peerId}`, 'no-session');
  const pinnedCertSha256 = session.peerTlsCertSha256;
  if (ctx.client.usesTls && pinnedCertSha256 === null) {
    // A peer that named no certificate in its handshake cannot be reached over TLS without trusting any certificate.
    throw new PeerChannelError(
      `the handshake with ${node.address} named no TLS certificate to pin; nothing was sent`,
      'tls-certificate-mismatch',
    );
  }
  const body = request.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(request.json), 'utf8');
  const timestampMs = ctx.now();
  const nonce = ctx.randomHex(NONCE_BYTES);
  const signature = signRequest(session.sendKey, {
    method: request.method,
    path: request.path,
    body,
    timestampMs,
    nonce,
    senderId: ctx.self.id,
    receiverId: peerId,
  });
  let response: PeerResponse;
  try {
    response = await ctx.client.request({
      address: node.address,
      method: request.method,
      path: request.path,
      body,
      headers: {
        [AUTH_HEADERS.session]: session.id,
        [AUTH_HEADERS.node]: ctx.self.id,
        [AUTH_HEADERS.timestamp]: String(timestampMs),
        [AUTH_HEADERS.nonce]: nonce,
        [AUTH_HEADERS.signature]: signature,
      },
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(pinnedCertSha256 !== null ? { pinnedCertSha256 } : {}),
    });
  } catch (error) {
    if (error instanceof PeerRequestError) {
      throw new PeerChannelError(
        error.message,
        error.code === TLS_CERTIFICATE_MISMATCH ? 'tls-certificate-mismatch' : error.code,
      );
    }
    throw error;
  }
  if (response.status === 401) {
    let code = 'unauthorized';
    try {
      code = String((JSON.parse(response.body.toString('utf8')) as { error?: unknown }).error ?? code);
    } catch {
      // keep the generic code
    }
    throw new PeerChannelError(`${node.address} refused the signed request: ${code}`, code);
  }
  if (response.status === 404 || response.status === 405) {
    throw new PeerChannelError(
      `${node.address} has no route ${request.method} ${request.path} (another version of the sync service?)`,
      'no-route',
    );
  }
  const answerSignature = response.headers[AUTH_HEADERS.signature];
  if (
    typeof answerSignature !== 'string' ||
    !verifyResponse(
      session.receiveKey,
      { status: response.status, body: response.body, requestNonce: nonce, senderId: peerId, receiverId: ctx.self.id },
      answerSignature,
    )
  ) {
    throw new PeerChannelError(`the answer from ${node.address} is not signed by the peer`, 'bad-signature');
  }
  let json: unknown;
  if (response.body.length > 0) {
    try {
      json = JSON.parse(response.body.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, body: response.body, json };
}
