/**
 * The extension point replication builds on, with two services started in this process (127.0.2.70-71):
 * authenticated routes, signed requests between peers, peer events, and status contributions.
 */

import type { RegistryEvent } from '../peers/peerRegistry';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { request } from '../testing/fakePeer';
import type { SyncServiceApi, SyncServicePlugin } from './plugin';
import type { StartedSyncService } from './syncService';
import { startTestService } from '../testing/testService';

jest.setTimeout(30_000);

const apis = new Map<string, SyncServiceApi>();
const events: string[] = [];
const echoPlugin: SyncServicePlugin = {
  name: 'echo',
  async start(api) {
    apis.set(api.self.name, api);
    api.addRoute({
      method: 'POST',
      path: '/sync/v1/echo',
      handle: (req) => ({ status: 200, json: { from: req.peerId, got: req.json } }),
    });
    api.addStatusContributor({ name: 'echo', node: () => ({ routes: 1 }), peer: (id) => ({ seen: id.length }) });
    const off = api.onPeerEvent((e: RegistryEvent) =>
      events.push(`${api.self.name}: ${e.type} ${e.peer.identity.name}`),
    );
    return { stop: async () => off() };
  },
};

let a: StartedSyncService;
let b: StartedSyncService;
beforeAll(async () => {
  const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent' });
  const options = { plugins: [echoPlugin] };
  a = await startTestService(
    nodeEnv(shared, { name: 'server-1', ip: '127.0.2.70', peers: ['127.0.2.71:8765'] }),
    options,
  );
  b = await startTestService(
    nodeEnv(shared, { name: 'server-2', ip: '127.0.2.71', peers: ['127.0.2.70:8765'] }),
    options,
  );
  const deadline = Date.now() + 5_000;
  while ((a.status().peersConnected < 1 || b.status().peersConnected < 1) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('sync service plugins', () => {
  it("send signed requests to a peer's authenticated route and get its verified answer", async () => {
    const api = apis.get('server-1') as SyncServiceApi;
    const answer = await api.request(b.self.id, { method: 'POST', path: '/sync/v1/echo', json: { x: 1 } });
    expect(answer).toMatchObject({ status: 200, json: { from: a.self.id, got: { x: 1 } } });
  });

  it('list connected peers and hear when they connect', () => {
    expect(apis.get('server-1')?.connectedPeers()).toEqual([
      expect.objectContaining({ id: b.self.id, name: 'server-2', address: '127.0.2.71:8765' }),
    ]);
    expect(events).toEqual(
      expect.arrayContaining(['server-1: peer-connected server-2', 'server-2: peer-connected server-1']),
    );
  });

  it('add their fields to the status document', () => {
    const status = a.status();
    expect(status.echo).toEqual({ routes: 1 });
    expect(status.peers[0]?.echo).toEqual({ seen: 16 });
  });

  it('cannot be reached without a signed request', async () => {
    const answer = await request('127.0.2.71:8765', 'POST', '/sync/v1/echo', '{}');
    expect(answer.status).toBe(401);
  });

  it('say clearly when a peer has no such route', async () => {
    await expect(
      apis.get('server-1')?.request(b.self.id, { method: 'POST', path: '/sync/v1/missing', json: {} }),
    ).rejects.toMatchObject({ code: 'no-route' });
  });

  it('must keep their routes under /sync/v1/', () => {
    expect(() =>
      apis.get('server-1')?.addRoute({ method: 'GET', path: '/admin', handle: () => ({ status: 200 }) }),
    ).toThrow(/must start with \/sync\/v1\//);
  });
});
