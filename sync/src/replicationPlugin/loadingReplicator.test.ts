import type { ReplicationTransport } from '@msk/replication';
import { MemoryReplicationStore, PROTOCOL_VERSION, createInProcessNetwork } from '@msk/replication';
import { APP_SHAPED_TABLES, NODE_IDS, userRow } from '@msk/replication/testing';
import { LoadingReplicator } from './loadingReplicator';

const [SOURCE, FRESH] = [NODE_IDS[0], NODE_IDS[1]];

function setup() {
  const stores = new Map(
    [SOURCE, FRESH].map((id) => [id as string, new MemoryReplicationStore({ nodeId: id, tables: APP_SHAPED_TABLES })]),
  );
  const network = createInProcessNetwork((id) => stores.get(id));
  const calls: string[] = [];
  let reloadOnce = false;
  const inner = network.transportFor(FRESH);
  const transport: ReplicationTransport = {
    async pull(peerId, request) {
      calls.push('pull');
      if (reloadOnce) {
        reloadOnce = false;
        return {
          type: 'reload-required',
          protocolVersion: PROTOCOL_VERSION,
          sourceNodeId: peerId,
          purgedUpTo: { xid: '9', seq: '0' },
          message: 'purged',
        };
      }
      return inner.pull(peerId, request);
    },
    async snapshot(peerId, request) {
      calls.push('snapshot');
      return inner.snapshot(peerId, request);
    },
  };
  return {
    source: stores.get(SOURCE) as MemoryReplicationStore,
    fresh: stores.get(FRESH) as MemoryReplicationStore,
    transport,
    calls,
    answerReloadRequiredOnce: () => (reloadOnce = true),
  };
}

describe('the replicator of the sync service', () => {
  it('loads a snapshot before the first pull on a node that never applied anything, and only once', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    await h.source.insert('users', userRow());
    const loads: string[] = [];
    const replicator = new LoadingReplicator({
      store: h.fresh,
      transport: h.transport,
      needsInitialLoad: true,
      onInitialLoad: (o) => loads.push(o.kind),
    });
    const first = await replicator.catchUp(SOURCE);
    expect(first.last.kind).toBe('applied');
    expect(h.fresh.visibleRows('users')).toHaveLength(2);
    await replicator.catchUp(SOURCE);
    expect(h.calls.filter((c) => c === 'snapshot')).toHaveLength(1);
    expect(loads).toEqual(['applied']);
    expect(replicator.waitingForInitialLoad).toBe(false);
  });

  it('pulls without a snapshot on a node that has applied before', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    const replicator = new LoadingReplicator({ store: h.fresh, transport: h.transport, needsInitialLoad: false });
    await replicator.catchUp(SOURCE);
    expect(h.calls).not.toContain('snapshot');
    expect(h.fresh.visibleRows('users')).toHaveLength(1);
  });

  it('loads a snapshot when the peer answers "reload required", then goes on pulling', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    const replicator = new LoadingReplicator({ store: h.fresh, transport: h.transport, needsInitialLoad: false });
    h.answerReloadRequiredOnce();
    const result = await replicator.catchUp(SOURCE);
    expect(result.last.kind).toBe('applied');
    expect(h.calls).toEqual(['pull', 'snapshot', 'pull']);
    expect(h.fresh.visibleRows('users')).toHaveLength(1);
  });

  it('keeps the load pending while the peer cannot be reached, and pulls nothing around it', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    const failing: ReplicationTransport = {
      pull: h.transport.pull,
      snapshot: () => Promise.reject(new Error('connection refused')),
    };
    const down = new LoadingReplicator({ store: h.fresh, transport: failing, needsInitialLoad: true });
    expect((await down.catchUp(SOURCE)).last.kind).toBe('unreachable');
    expect(down.waitingForInitialLoad).toBe(true);
    expect(h.fresh.visibleRows('users')).toHaveLength(0);
    expect(h.calls).not.toContain('pull');
  });
});
