/**
 * Authentication of every request after the handshake: a MAC with the session's key for that direction over
 * method, path, body digest, timestamp, nonce and both node IDs. Responses are signed too, bound to the
 * request's nonce, so a response cannot be replayed onto another request.
 */
import { createHash } from 'node:crypto';
import { macHex, sameHex } from './clusterKeys';

export const AUTH_HEADERS = {
  session: 'x-msk-session',
  node: 'x-msk-node',
  timestamp: 'x-msk-timestamp',
  nonce: 'x-msk-nonce',
  signature: 'x-msk-signature',
} as const;

export interface SignedRequestFields {
  readonly method: string;
  readonly path: string;
  readonly body: Buffer;
  readonly timestampMs: number;
  readonly nonce: string;
  readonly senderId: string;
  readonly receiverId: string;
}

export function bodyDigest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export function signRequest(key: Buffer, r: SignedRequestFields): string {
  return macHex(key, [
    'msk-sync/v1 request',
    r.method.toUpperCase(),
    r.path,
    bodyDigest(r.body),
    r.timestampMs,
    r.nonce,
    r.senderId,
    r.receiverId,
  ]);
}

export function verifyRequest(key: Buffer, r: SignedRequestFields, signature: string): boolean {
  return sameHex(signature, signRequest(key, r));
}

export interface SignedResponseFields {
  readonly status: number;
  readonly body: Buffer;
  readonly requestNonce: string;
  readonly senderId: string;
  readonly receiverId: string;
}

export function signResponse(key: Buffer, r: SignedResponseFields): string {
  return macHex(key, ['msk-sync/v1 response', r.status, bodyDigest(r.body), r.requestNonce, r.senderId, r.receiverId]);
}

export function verifyResponse(key: Buffer, r: SignedResponseFields, signature: string): boolean {
  return sameHex(signature, signResponse(key, r));
}
