import type { NodeConfig } from '@msk/contract';
import type { NodeIdentity } from '../core/handshake';
import { AUTH_HEADERS, signRequest } from '../core/requestSignature';
import { SessionStore } from '../peers/sessionStore';
import { createRequestAuthenticator } from './requestAuthenticator';
import type { ServiceContext } from './serviceContext';
import { admitPeer, testRegistry } from '../testing/peerRegistryFixture';

const self: NodeIdentity = { id: 'aaaaaaaaaaaaaaaa', name: 'me', instanceId: '1'.repeat(32), startedAt: 0, port: 8765 };
const peerId = 'bbbbbbbbbbbbbbbb';
const receiveKey = Buffer.alloc(32, 1);
const nowMs = 100_000;

function setup() {
  const sessions = new SessionStore(15_000);
  const registry = testRegistry(self);
  admitPeer(registry, { ...self, id: peerId, name: 'peer', instanceId: '2'.repeat(32) }, { nowMs: 0, inbound: false });
  sessions.add({
    id: 'cd'.repeat(16),
    peerId,
    peerInstanceId: '2'.repeat(32),
    role: 'responder',
    sendKey: Buffer.alloc(32, 2),
    receiveKey,
    peerTlsCertSha256: null,
    createdAtMs: 0,
  });
  const ctx = { self, sessions, registry, now: () => nowMs } as unknown as ServiceContext & { config: NodeConfig };
  return { auth: createRequestAuthenticator(ctx), registry };
}

function headers(overrides: Record<string, string> = {}, body = Buffer.from('{}'), key = receiveKey) {
  const timestampMs = Number(overrides[AUTH_HEADERS.timestamp] ?? nowMs);
  const nonce = overrides[AUTH_HEADERS.nonce] ?? 'ef'.repeat(32);
  return {
    [AUTH_HEADERS.session]: 'cd'.repeat(16),
    [AUTH_HEADERS.node]: peerId,
    [AUTH_HEADERS.timestamp]: String(timestampMs),
    [AUTH_HEADERS.nonce]: nonce,
    [AUTH_HEADERS.signature]: signRequest(key, {
      method: 'POST',
      path: '/sync/v1/heartbeat',
      body,
      timestampMs,
      nonce,
      senderId: peerId,
      receiverId: self.id,
    }),
    ...overrides,
  };
}
const check = (auth: ReturnType<typeof setup>['auth'], h: Record<string, string>, body = Buffer.from('{}')) =>
  auth.authenticate({ method: 'POST', path: '/sync/v1/heartbeat', body, headers: h });

describe('request authenticator', () => {
  it('accepts a correctly signed request once and records that the peer was seen', () => {
    const { auth, registry } = setup();
    expect(check(auth, headers())).toEqual({
      ok: true,
      caller: { peerId, sessionId: 'cd'.repeat(16), nonce: 'ef'.repeat(32) },
    });
    expect(registry.nodes.get(peerId)?.lastSeenAt).toBe(nowMs);
    expect(check(auth, headers())).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it.each([
    ['missing-credentials', () => ({ [AUTH_HEADERS.signature]: undefined as unknown as string })],
    ['malformed-credentials', () => ({ [AUTH_HEADERS.session]: 'not-hex' })],
    ['unknown-session', () => ({ [AUTH_HEADERS.session]: '00'.repeat(16) })],
    ['wrong-node', () => ({ [AUTH_HEADERS.node]: 'cccccccccccccccc' })],
    ['bad-signature', () => ({ [AUTH_HEADERS.signature]: '00'.repeat(32) })],
    [
      'stale',
      () => headers({ [AUTH_HEADERS.timestamp]: String(nowMs - 60_000), [AUTH_HEADERS.nonce]: '12'.repeat(32) }),
    ],
  ])('refuses a request with %s', (reason, change) => {
    const { auth } = setup();
    const h: Record<string, string> = { ...headers({ [AUTH_HEADERS.nonce]: '34'.repeat(32) }), ...change() };
    for (const key of Object.keys(h)) if (h[key] === undefined) delete h[key];
    expect(check(auth, h)).toMatchObject({ ok: false, reason });
  });

  it('refuses a request whose body was changed after signing', () => {
    const { auth } = setup();
    expect(check(auth, headers(), Buffer.from('{"x":1}'))).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});
