/**
 * An on-path observer (a recording proxy between two real nodes, 127.0.2.30-32) replays and reflects what it saw.
 * Nothing it sends is accepted; every attempt is refused, counted and reported, and the real peers stay connected.
 * The nodes run with SYNC_TLS=off: only in plain HTTP can an observer record anything (with TLS, the default, it
 * sees ciphertext and cannot sit in the middle: tls.int.test.ts), so that is the mode replay protection must hold in.
 */
import type { HelloAnswer, HelloMessage } from '../core/handshake';
import { ensureSyncBuilt } from '../testing/buildOnce';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import {
  type Answer,
  fakeIdentity,
  freshHello,
  handshake,
  request as anyRequest,
  signedHeaders,
} from '../testing/fakePeer';
import { type StartedNode, startNode, stopAll } from '../testing/nodeProcess';
import { type StartedProxy, startRecordingProxy } from '../testing/recordingProxy';

jest.setTimeout(60_000);

const A_IP = '127.0.2.30';
const B_IP = '127.0.2.31';
const PROXY_IP = '127.0.2.32';
const B = `${B_IP}:8765`;
const A = `${A_IP}:8765`;

let a: StartedNode;
let b: StartedNode;
let proxy: StartedProxy;
const shared = loopbackSharedEnv({ SYNC_TLS: 'off' });
const request = (
  address: string,
  method: 'GET' | 'POST',
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Answer> => anyRequest(address, method, path, body, headers, { plain: true });

beforeAll(async () => {
  ensureSyncBuilt();
  proxy = await startRecordingProxy({
    listenIp: PROXY_IP,
    port: 8765,
    targetIp: B_IP,
    targetPort: 8765,
    sourceIp: A_IP,
  });
  b = await startNode({ env: nodeEnv(shared, { name: 'server-b', ip: B_IP }) });
  a = await startNode({ env: nodeEnv(shared, { name: 'server-a', ip: A_IP, peers: [`${PROXY_IP}:8765`] }) });
  await b.waitForStatus('server-a connected', (s) => s.peersConnected === 1);
  // server-a knows server-b at two addresses (direct and through the proxy); a redial through the proxy can back
  // off for several seconds on a busy machine before its first heartbeat there
  await a.waitForStatus(
    'a heartbeat through the proxy',
    () => proxy.exchanges.some((e) => e.path === '/sync/v1/heartbeat' && e.status === 200),
    30_000,
  );
});

afterAll(async () => {
  await stopAll([a, b]);
  await proxy?.close();
});

const recorded = (path: string) => {
  const exchange = proxy.exchanges.find((e) => e.path === path && e.status === 200);
  if (!exchange) throw new Error(`the proxy recorded no successful ${path}`);
  return exchange;
};

describe('replayed and reflected handshake messages (real processes, recording proxy)', () => {
  it('refuses a replayed hello', async () => {
    const answer = await request(B, 'POST', '/sync/v1/handshake/hello', recorded('/sync/v1/handshake/hello').body);
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ refused: { reason: 'replayed' } });
  });

  it('refuses a replayed confirmation', async () => {
    const answer = await request(B, 'POST', '/sync/v1/handshake/confirm', recorded('/sync/v1/handshake/confirm').body);
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ refused: { reason: 'replayed' } });
  });

  it('refuses a replayed signed request', async () => {
    const heartbeat = recorded('/sync/v1/heartbeat');
    const headers = Object.fromEntries(
      Object.entries(heartbeat.headers).filter(([k]) => k.startsWith('x-msk-')),
    ) as Record<string, string>;
    const answer = await request(B, 'POST', '/sync/v1/heartbeat', heartbeat.body, headers);
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: 'replayed' });
  });

  it("refuses the responder's own proof reflected back as the initiator's proof", async () => {
    const claimed = (JSON.parse(recorded('/sync/v1/handshake/hello').body.toString()) as HelloMessage).initiator;
    const hello = freshHello(fakeIdentity({ id: claimed.id, name: claimed.name, port: claimed.port }), undefined, true);
    const answer = await request(B, 'POST', '/sync/v1/handshake/hello', JSON.stringify(hello));
    expect(answer.status).toBe(200);
    const { handshakeId, proof } = answer.json as HelloAnswer;
    const confirm = await request(
      B,
      'POST',
      '/sync/v1/handshake/confirm',
      JSON.stringify({ v: 1, handshakeId, proof, refusal: null }),
    );
    expect(confirm.status).toBe(403);
    expect(confirm.json).toMatchObject({ refused: { reason: 'reflected' } });
  });

  it('does not take its own hello, reflected back to it, for a peer', async () => {
    const ownHello = recorded('/sync/v1/handshake/hello').body;
    const answer = await request(A, 'POST', '/sync/v1/handshake/hello', ownHello);
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ self: true });
  });

  it('refuses a signed request whose signature does not verify, even from loopback', async () => {
    const testPeer = fakeIdentity({ name: 'test-peer' });
    const session = await handshake(B, shared.SYNC_REGISTRATION_KEY as string, testPeer, { plain: true });
    const good = signedHeaders(session, testPeer.id, 'GET', '/status', Buffer.alloc(0));
    const signedAnswer = await request(B, 'GET', '/status', undefined, good);
    expect(signedAnswer.status).toBe(200);
    expect(signedAnswer.headers['x-msk-signature']).toMatch(/^[0-9a-f]{64}$/);
    const forged = {
      ...signedHeaders(session, testPeer.id, 'GET', '/status', Buffer.alloc(0)),
      'x-msk-signature': 'ab'.repeat(32),
    };
    const answer = await request(B, 'GET', '/status', undefined, forged);
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: 'bad-signature' });
  });

  it('keeps the real peers connected, and reports and counts every refusal', async () => {
    const status = await b.status();
    // test-peer has no server of its own: this node's heartbeat to it fails, so it is shown disconnected.
    expect(status.peers.filter((p) => p.authState === 'authenticated').map((p) => p.name)).toEqual(['server-a']);
    const reasons = status.refused.map((r) => r.reason);
    expect(reasons).toEqual(expect.arrayContaining(['replayed', 'reflected']));
    const metrics = (await b.get('/metrics')).body;
    expect(metrics).toMatch(/msk_sync_handshakes_total\{role="responder",result="replayed"\} 2/);
    expect(metrics).toMatch(/msk_sync_handshakes_total\{role="responder",result="reflected"\} 1/);
    expect(metrics).toMatch(
      /msk_sync_rejected_requests_total\{reason="replayed",route="POST \/sync\/v1\/heartbeat"\} 1/,
    );
    expect(metrics).toMatch(/msk_sync_rejected_requests_total\{reason="bad-signature",route="GET \/status"\} 1/);
    expect((await a.status()).peersConnected).toBe(1);
  });
});
