import type { NodeIdentity } from '../core/handshake';
import { signedRequest } from './peerChannel';
import { FIRST_EXCHANGE_DELAY_MS, PeerFactExchange } from './peerFactExchange';
import { createSyncMetrics } from './metrics';
import type { ServiceContext } from './serviceContext';
import { PEER_IDENTITY, admitPeer, testRegistry } from '../testing/peerRegistryFixture';

jest.mock('./peerChannel', () => ({ signedRequest: jest.fn() }));
const request = signedRequest as jest.MockedFunction<typeof signedRequest>;

const peer = PEER_IDENTITY;
const flush = () => new Promise((resolve) => setImmediate(resolve));

function setUp() {
  const registry = testRegistry();
  const admit = (identity: NodeIdentity) => admitPeer(registry, identity);
  const metrics = createSyncMetrics({ collectProcessMetrics: false });
  const ctx = { registry, metrics, logger: { debug: () => undefined }, now: () => 1 } as unknown as ServiceContext;
  let fact = 'first';
  const learned: Array<[string, string]> = [];
  const exchange = new PeerFactExchange<string>(ctx, {
    path: '/sync/v1/test-fact',
    maxBodyBytes: 64,
    requestTimeoutMs: 1_000,
    parse: (json) => {
      const value = (json as { fact?: unknown } | undefined)?.fact;
      return typeof value === 'string' ? { ok: true, value } : { ok: false, problem: 'fact: expected a string' };
    },
    message: (value) => ({ fact: value }),
    own: () => fact,
    key: (value) => value,
    learned: (peerId, value) => learned.push([peerId, value]),
    source: 'test-fact',
    what: 'test facts',
  });
  return { registry, metrics, admit, exchange, learned, setFact: (next: string) => (fact = next) };
}

describe('PeerFactExchange', () => {
  // The exchange's first-contact timer stays under the test's control (setImmediate still lets requests settle).
  beforeEach(() => {
    request.mockReset();
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  });
  afterEach(() => jest.useRealTimers());

  it('tells a newly connected peer after the first heartbeat (FIRST_EXCHANGE_DELAY_MS), not at once', async () => {
    const { admit, exchange, learned } = setUp();
    request.mockResolvedValue({ status: 200, json: { fact: 'theirs' } } as Awaited<ReturnType<typeof signedRequest>>);
    admit(peer);
    jest.advanceTimersByTime(FIRST_EXCHANGE_DELAY_MS - 1);
    await flush();
    expect(request).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await flush();
    expect(request).toHaveBeenCalledTimes(1);
    expect(learned).toEqual([[peer.id, 'theirs']]);
    exchange.stop();
  });

  it('tells a peer instance a fact once, and again only when the fact changes', async () => {
    const { admit, exchange, learned, setFact } = setUp();
    admit(peer);
    request.mockResolvedValue({ status: 200, json: { fact: 'theirs' } } as Awaited<ReturnType<typeof signedRequest>>);
    exchange.tellAll();
    await flush();
    exchange.tellAll();
    await flush();
    expect(request).toHaveBeenCalledTimes(1);
    expect(request.mock.calls[0]?.[2]).toMatchObject({
      method: 'POST',
      path: '/sync/v1/test-fact',
      json: { fact: 'first' },
    });
    expect(learned).toEqual([[peer.id, 'theirs']]);
    setFact('second');
    exchange.tellAll();
    await flush();
    expect(request).toHaveBeenCalledTimes(2);
    expect(request.mock.calls[1]?.[2]).toMatchObject({ json: { fact: 'second' } });
    exchange.stop();
  });

  it('tells again after an answer it could not read, and counts that answer as dropped', async () => {
    const { admit, exchange, metrics } = setUp();
    admit(peer);
    request.mockResolvedValueOnce({ status: 200, json: { fact: 42 } } as Awaited<ReturnType<typeof signedRequest>>);
    request.mockResolvedValueOnce({ status: 200, json: { fact: 'theirs' } } as Awaited<
      ReturnType<typeof signedRequest>
    >);
    exchange.tellAll();
    await flush();
    exchange.tellAll();
    await flush();
    expect(request).toHaveBeenCalledTimes(2);
    expect(await metrics.registry.getSingleMetricAsString('msk_sync_dropped_messages_total')).toContain(
      '{reason="malformed",source="test-fact-answer"} 1',
    );
    exchange.stop();
  });

  it('tells a restarted peer (a new instance) again', async () => {
    const { admit, exchange } = setUp();
    admit(peer);
    request.mockResolvedValue({ status: 200, json: { fact: 'theirs' } } as Awaited<ReturnType<typeof signedRequest>>);
    exchange.tellAll();
    await flush();
    admit({ ...peer, instanceId: '3'.repeat(32), startedAt: 3 });
    exchange.tellAll();
    await flush();
    expect(request).toHaveBeenCalledTimes(2);
    exchange.stop();
  });

  it('the route learns the peer fact and answers with this node fact; a malformed body is dropped and counted', async () => {
    const { exchange, learned, metrics } = setUp();
    const route = exchange.route();
    const send = (json: unknown) =>
      route.handle({ json, peer: { peerId: peer.id } } as unknown as Parameters<typeof route.handle>[0]);
    expect(await send({ fact: 'theirs' })).toEqual({ status: 200, json: { fact: 'first' } });
    expect(await send({ fact: 7 })).toEqual({ status: 400, json: { error: 'malformed' } });
    expect(learned).toEqual([[peer.id, 'theirs']]);
    expect(await metrics.registry.getSingleMetricAsString('msk_sync_dropped_messages_total')).toContain(
      '{reason="malformed",source="test-fact"} 1',
    );
    exchange.stop();
  });
});
