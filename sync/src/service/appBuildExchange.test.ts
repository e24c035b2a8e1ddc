import type { AppBuildIdentity } from '../core/appBuild';
import type { RouteRequest } from '../transport/peerServer';
import { AppBuildExchange } from './appBuildExchange';
import { createSyncMetrics } from './metrics';
import type { ServiceContext } from './serviceContext';
import { PEER_IDENTITY, admitPeer, testRegistry } from '../testing/peerRegistryFixture';

const peer = PEER_IDENTITY;
const mine: AppBuildIdentity = { buildId: 'build-A', deploymentId: null, serverActionsKeyFingerprint: 'a'.repeat(32) };
const theirs: AppBuildIdentity = { ...mine, serverActionsKeyFingerprint: 'b'.repeat(32) };

function setUp() {
  const registry = testRegistry();
  admitPeer(registry);
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, message: string) => warnings.push(message), debug: () => undefined };
  const metrics = createSyncMetrics({ collectProcessMetrics: false });
  const ctx = { registry, metrics, logger, now: () => 1 } as unknown as ServiceContext;
  const exchange = new AppBuildExchange(ctx, () => mine);
  const route = exchange.route();
  const send = (json: unknown) => route.handle({ json, peer: { peerId: peer.id } } as unknown as RouteRequest);
  return { registry, metrics, warnings, exchange, send };
}

describe('the app-build route', () => {
  it("stores the peer's build, answers with this node's, and warns once per pair of different builds", async () => {
    const { registry, warnings, exchange, send } = setUp();
    expect(await send({ build: theirs })).toEqual({ status: 200, json: { build: mine } });
    expect(registry.nodes.get(peer.id)?.appBuild).toEqual(theirs);
    await send({ build: theirs });
    expect(warnings).toEqual([
      expect.stringContaining('this node runs build-A, key aaaaaaaa, it runs build-A, key bbbbbbbb'),
    ]);
    expect(warnings[0]).toContain('build once, run the same image');
    exchange.stop();
  });

  it('drops and counts a malformed or hostile body without touching the registry', async () => {
    const { registry, metrics, exchange, send } = setUp();
    for (const body of [
      undefined,
      {},
      { build: 'x' },
      { build: { ...theirs, extra: 1 } },
      { build: { ...theirs, buildId: '../../etc' } },
      { build: theirs, more: true },
    ]) {
      expect(await send(body)).toEqual({ status: 400, json: { error: 'malformed' } });
    }
    expect(registry.nodes.get(peer.id)?.appBuild).toBeNull();
    expect(await metrics.registry.getSingleMetricAsString('msk_sync_dropped_messages_total')).toContain(
      'msk_sync_dropped_messages_total{reason="malformed",source="app-build"} 6',
    );
    exchange.stop();
  });
});
