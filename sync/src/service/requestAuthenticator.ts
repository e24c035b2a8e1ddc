/** Checks the signature, freshness and nonce of every authenticated request, and signs the answers. */
import type http from 'node:http';
import { NODE_ID_PATTERN } from '@msk/contract';
import { MAX_AUTH_HEADER_LENGTH } from '../core/limits';
import { AUTH_HEADERS, signResponse, verifyRequest } from '../core/requestSignature';
import type { AuthenticatedCaller, RequestAuthenticator } from '../transport/peerServer';
import type { ServiceContext } from './serviceContext';

const HEADER_PATTERNS: Readonly<Record<keyof typeof AUTH_HEADERS, RegExp>> = {
  session: /^[0-9a-f]{32}$/,
  node: NODE_ID_PATTERN,
  timestamp: /^\d{1,16}$/,
  nonce: /^[0-9a-f]{32,64}$/,
  signature: /^[0-9a-f]{64}$/,
};

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.length <= MAX_AUTH_HEADER_LENGTH ? value : undefined;
}

export function createRequestAuthenticator(ctx: ServiceContext): RequestAuthenticator {
  const fail = (reason: string, message: string) => ({ ok: false as const, reason, message });
  /** Well-formed headers naming a live session of the node they claim: checked before a body is read. */
  const checkHeaders = (headers: http.IncomingHttpHeaders) => {
    const values: Partial<Record<keyof typeof AUTH_HEADERS, string>> = {};
    for (const key of Object.keys(AUTH_HEADERS) as (keyof typeof AUTH_HEADERS)[]) {
      const value = header(headers, AUTH_HEADERS[key]);
      if (value === undefined)
        return fail(
          'missing-credentials',
          `header ${AUTH_HEADERS[key]} is missing: this route needs a signed request from a peer`,
        );
      if (!HEADER_PATTERNS[key].test(value))
        return fail('malformed-credentials', `header ${AUTH_HEADERS[key]} is malformed`);
      values[key] = value;
    }
    const v = values as Record<keyof typeof AUTH_HEADERS, string>;
    const session = ctx.sessions.get(v.session);
    if (!session) return fail('unknown-session', 'unknown session: handshake again');
    if (session.peerId !== v.node) return fail('wrong-node', 'the session belongs to another node');
    return { ok: true as const, values: v, session };
  };
  return {
    hasCredentials: (headers) => headers[AUTH_HEADERS.signature] !== undefined,
    precheck(headers) {
      const checked = checkHeaders(headers);
      return checked.ok ? { ok: true } : checked;
    },
    authenticate({ method, path, body, headers }) {
      const checked = checkHeaders(headers);
      if (!checked.ok) return checked;
      const { values: v, session } = checked;
      const timestampMs = Number(v.timestamp);
      const fields = { method, path, body, timestampMs, nonce: v.nonce, senderId: v.node, receiverId: ctx.self.id };
      if (!verifyRequest(session.receiveKey, fields, v.signature))
        return fail('bad-signature', 'the request signature does not verify');
      const nowMs = ctx.now();
      const verdict = session.replay.check(v.nonce, timestampMs, nowMs);
      if (verdict === 'replayed') return fail('replayed', 'this request was already received (replay)');
      if (verdict === 'stale')
        return fail('stale', 'the request timestamp is outside the accepted window (replay, or clocks too far apart)');
      session.lastUsedAtMs = nowMs;
      ctx.registry.touch(session.peerId, nowMs);
      return { ok: true, caller: { peerId: session.peerId, sessionId: session.id, nonce: v.nonce } };
    },
    signResponse(caller: AuthenticatedCaller, status: number, body: Buffer): Record<string, string> {
      const session = ctx.sessions.get(caller.sessionId);
      if (!session) return {};
      return {
        [AUTH_HEADERS.signature]: signResponse(session.sendKey, {
          status,
          body,
          requestNonce: caller.nonce,
          senderId: ctx.self.id,
          receiverId: caller.peerId,
        }),
      };
    },
  };
}
