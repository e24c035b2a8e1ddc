/**
 * Hostile input on the peer port (TLS, the default), against real sync processes (127.0.12.10-13; attackers send
 * from 127.0.12.20-21):
 * expired timestamps, a forged node ID, malformed JSON, oversized bodies and a flood of handshakes. Each is refused
 * with a clear error, nothing is admitted, and the service keeps serving: the real peer stays connected and a new
 * real peer still connects afterwards. (Wrong key, replay, reflection and duplicate IDs: peers.int.test.ts and
 * replayAndReflection.int.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import { deriveClusterKeys } from '../core/clusterKeys';
import { type HelloAnswer, type NodeIdentity, checkAnswer, createConfirm, createHello } from '../core/handshake';
import {
  HANDSHAKE_BODY_LIMIT_BYTES,
  HANDSHAKE_BURST_PER_ADDRESS,
  HANDSHAKE_REFILL_PER_SECOND,
  MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS,
} from '../core/limits';
import { AUTH_HEADERS, signRequest } from '../core/requestSignature';
import { ensureSyncBuilt } from '../testing/buildOnce';
import { authenticatedPeerNames } from '../testing/nodeFixture';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { emptyConfig, fakeIdentity, freshHello, handshake } from '../testing/fakePeer';
import { type StartedNode, startNode, stopAll } from '../testing/nodeProcess';

jest.setTimeout(60_000);

const A_IP = '127.0.12.10';
const B_IP = '127.0.12.11';
const C_IP = '127.0.12.12';
const ATTACKER_IP = '127.0.12.20';
const FLOODER_IP = '127.0.12.21';
const B = `${B_IP}:8765`;
const HELLO = '/sync/v1/handshake/hello';
const CONFIRM = '/sync/v1/handshake/confirm';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly json: unknown;
}

/** One raw request from a chosen source address; `declaredLength` lets a test lie about Content-Length. */
function send(
  from: string,
  method: 'GET' | 'POST',
  path: string,
  body: Buffer | string = '',
  headers: Record<string, string> = {},
  options: { chunked?: boolean } = {},
): Promise<Answer> {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lengthHeader: Record<string, string> = options.chunked
    ? { 'transfer-encoding': 'chunked' }
    : { 'content-length': String(payload.length) };
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: B_IP,
        port: 8765,
        localAddress: from,
        method,
        path,
        agent: false,
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', ...lengthHeader, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
      },
    );
    // The server may answer 413 and close before the whole body is written.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    if (options.chunked) {
      for (let offset = 0; offset < payload.length; offset += 4096) req.write(payload.subarray(offset, offset + 4096));
      req.end();
    } else {
      req.end(payload);
    }
  });
}

/** The whole handshake as `identity` with `registrationKey`, the hello stamped at `helloAtMs`. */
async function handshakeAs(
  identity: NodeIdentity,
  registrationKey: string,
  helloAtMs: number,
): Promise<{ hello: Answer; confirm: Answer }> {
  const keys = deriveClusterKeys(registrationKey);
  const message = createHello({
    self: identity,
    config: emptyConfig,
    nonce: randomBytes(32).toString('hex'),
    nowMs: helloAtMs,
    tlsCertSha256: randomBytes(32).toString('hex'),
  });
  const hello = await send(ATTACKER_IP, 'POST', HELLO, JSON.stringify(message));
  if (hello.status !== 200) return { hello, confirm: hello };
  const answer = hello.json as HelloAnswer;
  // The attacker cannot verify the answer without the key, but sends a confirm anyway: proof made with what it has.
  const { transcript } = checkAnswer({ keys, hello: message, answer, observedTlsCertSha256: answer.tlsCertSha256 });
  const confirm = await send(
    ATTACKER_IP,
    'POST',
    CONFIRM,
    JSON.stringify(createConfirm(keys, answer.handshakeId, transcript, null)),
  );
  return { hello, confirm };
}

const metricValue = (metrics: string, pattern: RegExp): number => Number(metrics.match(pattern)?.[1] ?? 0);

const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'info', SYNC_MAX_CLOCK_SKEW_MS: '10000' });
const A_ID = randomBytes(8).toString('hex');
let a: StartedNode;
let b: StartedNode;
let c: StartedNode | undefined;

beforeAll(async () => {
  ensureSyncBuilt();
  b = await startNode({ env: nodeEnv(shared, { name: 'server-b', ip: B_IP }) });
  a = await startNode({ env: nodeEnv(shared, { name: 'server-a', ip: A_IP, id: A_ID, peers: [B] }) });
  await b.waitForStatus('server-a connected', (s) => s.peersConnected === 1);
});

afterAll(async () => {
  await stopAll([a, b, c]);
});

describe('hostile input on the peer port (real processes)', () => {
  it('refuses a hello stamped ten minutes ago at the confirm, as clock skew, even with the right key', async () => {
    const { hello, confirm } = await handshakeAs(
      fakeIdentity({ name: 'stale-peer' }),
      shared.SYNC_REGISTRATION_KEY as string,
      Date.now() - 600_000,
    );
    expect(hello.status).toBe(200);
    expect(confirm.status).toBe(403);
    expect(confirm.json).toMatchObject({
      refused: { reason: 'clock-skew', message: expect.stringMatching(/SYNC_MAX_CLOCK_SKEW_MS is 10000/) },
    });
    expect((await b.status()).peers.map((p) => p.name)).not.toContain('stale-peer');
  });

  it('refuses a signed request whose timestamp has expired, though its signature is valid', async () => {
    const peer = fakeIdentity({ name: 'expired-requests' });
    const session = await handshake(B, shared.SYNC_REGISTRATION_KEY as string, peer);
    const body = Buffer.from(JSON.stringify({ timeMs: Date.now() }));
    const timestampMs = Date.now() - 120_000;
    const nonce = randomBytes(32).toString('hex');
    const headers = {
      [AUTH_HEADERS.session]: session.id,
      [AUTH_HEADERS.node]: peer.id,
      [AUTH_HEADERS.timestamp]: String(timestampMs),
      [AUTH_HEADERS.nonce]: nonce,
      [AUTH_HEADERS.signature]: signRequest(session.sendKey, {
        method: 'POST',
        path: '/sync/v1/heartbeat',
        body,
        timestampMs,
        nonce,
        senderId: peer.id,
        receiverId: session.peerId,
      }),
    };
    const answer = await send(ATTACKER_IP, 'POST', '/sync/v1/heartbeat', body, headers);
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: 'stale' });
  });

  it("refuses a hello that claims a connected node's ID without the key, and keeps the real node connected", async () => {
    const connectedAt = (await b.status()).peers.find((p) => p.id === A_ID)?.connectedAt;
    expect(connectedAt).toEqual(expect.any(String));
    const forged = fakeIdentity({ id: A_ID, name: 'server-a' });
    const { hello, confirm } = await handshakeAs(forged, randomBytes(32).toString('hex'), Date.now());
    expect(hello.status).toBe(200);
    expect(confirm.status).toBe(403);
    expect(confirm.json).toMatchObject({
      refused: { reason: 'registration-key-differs', message: expect.stringMatching(/SYNC_REGISTRATION_KEY/) },
    });
    const status = await b.status();
    const real = status.peers.filter((p) => p.id === A_ID);
    expect(real).toHaveLength(1);
    // Not replaced, not reconnected: the same connection as before the forged hello.
    expect(real[0]).toMatchObject({ authState: 'authenticated', address: `${A_IP}:8765`, connectedAt });
  });

  it('answers 400 to a body that is not JSON and to JSON that is not a hello, naming the problem', async () => {
    const notJson = await send(ATTACKER_IP, 'POST', HELLO, '{"v":1,"initiator":');
    expect(notJson.status).toBe(400);
    expect(notJson.json).toEqual({ error: 'malformed', message: 'body is not JSON' });
    const wrongShape = await send(ATTACKER_IP, 'POST', HELLO, JSON.stringify({ v: 1, initiator: { id: 42 } }));
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.json).toMatchObject({
      refused: { reason: 'malformed', message: expect.stringMatching(/^malformed hello: /) },
    });
    const badConfirm = await send(ATTACKER_IP, 'POST', CONFIRM, JSON.stringify([1, 2, 3]));
    expect(badConfirm.status).toBe(400);
    expect(badConfirm.json).toMatchObject({ refused: { reason: 'malformed' } });
  });

  it('answers 413 to an oversized body, declared or streamed, before reading it all', async () => {
    const oversized = Buffer.alloc(HANDSHAKE_BODY_LIMIT_BYTES + 1, 'x');
    const declared = await send(ATTACKER_IP, 'POST', HELLO, oversized);
    expect(declared.status).toBe(413);
    expect(declared.json).toEqual({ error: `body larger than ${HANDSHAKE_BODY_LIMIT_BYTES} bytes` });
    const streamed = await send(
      ATTACKER_IP,
      'POST',
      HELLO,
      Buffer.alloc(10 * HANDSHAKE_BODY_LIMIT_BYTES, 'x'),
      {},
      { chunked: true },
    );
    expect(streamed.status).toBe(413);
    // A peer route without credentials is refused on its headers, before its body (preAuthLimits.int.test.ts).
    const heartbeat = await send(ATTACKER_IP, 'POST', '/sync/v1/heartbeat', Buffer.alloc(2048, 'x'));
    expect(heartbeat.status).toBe(401);
    expect(heartbeat.json).toMatchObject({ error: 'missing-credentials' });
  });

  it('answers a flood of hellos from one address with 429 and Retry-After, counts them, and still serves other addresses', async () => {
    const before = (await b.get('/metrics')).body;
    // In waves no larger than the connections one address may hold open before authentication (more are closed
    // unanswered: preAuthLimits.int.test.ts).
    const flood: Answer[] = [];
    const startedAtMs = Date.now();
    while (flood.length < 120) {
      const wave = Array.from({ length: MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS }, () =>
        send(FLOODER_IP, 'POST', HELLO, JSON.stringify(freshHello(fakeIdentity({ name: 'flooder' })))),
      );
      flood.push(...(await Promise.all(wave)));
    }
    // Tokens earned back while the waves went out (HANDSHAKE_REFILL_PER_SECOND), plus one for rounding.
    const earned = Math.ceil(((Date.now() - startedAtMs) / 1000) * HANDSHAKE_REFILL_PER_SECOND) + 1;
    const limited = flood.filter((answer) => answer.status === 429);
    expect(flood.filter((answer) => answer.status === 200).length).toBeLessThanOrEqual(
      HANDSHAKE_BURST_PER_ADDRESS + earned,
    );
    expect(limited.length).toBeGreaterThanOrEqual(120 - HANDSHAKE_BURST_PER_ADDRESS - earned);
    expect(limited.length + flood.filter((answer) => answer.status === 200).length).toBe(flood.length);
    expect(Number(limited[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.json).toMatchObject({
      error: 'rate-limited',
      message: expect.stringMatching(/too many handshake requests from 127\.0\.12\.21/),
    });
    // Another address is not affected by the flood.
    const other = await send(
      ATTACKER_IP,
      'POST',
      HELLO,
      JSON.stringify(freshHello(fakeIdentity({ name: 'bystander' }))),
    );
    expect(other.status).toBe(200);
    const after = (await b.get('/metrics')).body;
    const counted = (metrics: string) =>
      metricValue(
        metrics,
        /msk_sync_rejected_requests_total\{reason="rate-limited",route="POST \/sync\/v1\/handshake\/hello"\} (\d+)/,
      );
    expect(counted(after) - counted(before)).toBe(limited.length);
  });

  it('keeps serving: the real peer stays connected, a new real peer connects, and nothing hostile was admitted', async () => {
    c = await startNode({ env: nodeEnv(shared, { name: 'server-c', ip: C_IP, peers: [B] }) });
    const status = await b.waitForStatus('server-c connected', (s) => s.peersConnected === 2, 15_000);
    expect(authenticatedPeerNames(status)).toEqual(['server-a', 'server-c']);
    expect((await a.status()).peersConnected).toBe(1);
    expect(status.refused.map((r) => r.reason)).toEqual(
      expect.arrayContaining(['clock-skew', 'registration-key-differs']),
    );
    const logs = b.logLines.join('\n');
    expect(logs).toMatch(/rate-limited handshake requests from an address/);
    expect(logs).not.toContain(shared.SYNC_REGISTRATION_KEY as string);
  });
});
