/**
 * The handshake and signed requests done by hand with the pure core, for tests that play a peer (or an attacker)
 * against a real node.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type ClusterKeys, deriveClusterKeys } from '../core/clusterKeys';
import type { ConfigFingerprints } from '../core/configFingerprints';
import {
  type HelloAnswer,
  type HelloMessage,
  type NodeIdentity,
  checkAnswer,
  createConfirm,
  createHello,
  deriveSessionKeys,
} from '../core/handshake';
import { AUTH_HEADERS, signRequest } from '../core/requestSignature';

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: unknown;
  /** SHA-256 of the certificate the node presented (TLS), null in plain HTTP. */
  readonly tlsCertSha256: string | null;
}

/**
 * One request to a node. TLS (the nodes' default) unless `plain` (nodes with SYNC_TLS=off); the certificate is not
 * checked, it is returned for the handshake to bind. From `localAddress` when given (another machine, as a peer
 * is: plain HTTP from this host's 127.0.0.1 only reaches the operator routes).
 */
export function request(
  address: string,
  method: 'GET' | 'POST',
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
  options: { plain?: boolean; localAddress?: string } = {},
): Promise<Answer> {
  const [host, port] = address.split(':') as [string, string];
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const transport = options.plain ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      {
        host,
        port: Number(port),
        method,
        path,
        agent: false,
        rejectUnauthorized: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const raw = options.plain ? undefined : (socket.getPeerCertificate().raw as Buffer | undefined);
        const tlsCertSha256 = raw ? createHash('sha256').update(raw).digest('hex') : null;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json, tlsCertSha256 });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const emptyConfig: ConfigFingerprints = { fingerprints: {}, previousSessionSecrets: [], publicValues: {} };

export function fakeIdentity(overrides: Partial<NodeIdentity> = {}): NodeIdentity {
  return {
    id: randomBytes(8).toString('hex'),
    name: 'fake-peer',
    instanceId: randomBytes(16).toString('hex'),
    startedAt: Date.now(),
    port: 8765,
    ...overrides,
  };
}

/** A fake peer has no server of its own; over TLS it names a certificate nobody holds (requests to it fail). */
export function freshHello(
  identity: NodeIdentity,
  config: ConfigFingerprints = emptyConfig,
  plain = false,
): HelloMessage {
  return createHello({
    self: identity,
    config,
    nonce: randomBytes(32).toString('hex'),
    nowMs: Date.now(),
    tlsCertSha256: plain ? null : randomBytes(32).toString('hex'),
  });
}

export interface FakeSession {
  readonly id: string;
  readonly peerId: string;
  readonly sendKey: Buffer;
}

/** A complete handshake as `identity`, holding `registrationKey`. */
export async function handshake(
  address: string,
  registrationKey: string,
  identity: NodeIdentity,
  options: { plain?: boolean; localAddress?: string } = {},
): Promise<FakeSession> {
  const keys: ClusterKeys = deriveClusterKeys(registrationKey);
  const hello = freshHello(identity, emptyConfig, options.plain);
  const answer = await request(address, 'POST', '/sync/v1/handshake/hello', JSON.stringify(hello), {}, options);
  if (answer.status !== 200) throw new Error(`hello refused: ${answer.body}`);
  const helloAnswer = answer.json as HelloAnswer;
  const check = checkAnswer({ keys, hello, answer: helloAnswer, observedTlsCertSha256: answer.tlsCertSha256 });
  if (!check.ok) throw new Error(`answer check failed: ${check.reason}`);
  const confirm = await request(
    address,
    'POST',
    '/sync/v1/handshake/confirm',
    JSON.stringify(createConfirm(keys, helloAnswer.handshakeId, check.transcript, null)),
    {},
    options,
  );
  if (confirm.status !== 200) throw new Error(`confirm refused: ${confirm.body}`);
  return {
    id: helloAnswer.handshakeId,
    peerId: helloAnswer.responder.id,
    sendKey: deriveSessionKeys(keys, check.transcript).initiatorToResponder,
  };
}

export function signedHeaders(
  session: FakeSession,
  senderId: string,
  method: string,
  path: string,
  body: Buffer,
): Record<string, string> {
  const timestampMs = Date.now();
  const nonce = randomBytes(32).toString('hex');
  return {
    [AUTH_HEADERS.session]: session.id,
    [AUTH_HEADERS.node]: senderId,
    [AUTH_HEADERS.timestamp]: String(timestampMs),
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: signRequest(session.sendKey, {
      method,
      path,
      body,
      timestampMs,
      nonce,
      senderId,
      receiverId: session.peerId,
    }),
  };
}
