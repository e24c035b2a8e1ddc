import type { PullOutcome } from '@msk/replication';
import { MemoryReplicationStore, Replicator, createInProcessNetwork } from '@msk/replication';
import { APP_SHAPED_TABLES, NODE_IDS, userRow } from '@msk/replication/testing';
import { until } from '@msk/replication/testing';
import { PeerPullers, retryBackoff } from './peerPullers';

const [SOURCE, PULLER] = [NODE_IDS[0] as string, NODE_IDS[1] as string];

function setup() {
  const stores = new Map(
    [SOURCE, PULLER].map((id) => [id, new MemoryReplicationStore({ nodeId: id, tables: APP_SHAPED_TABLES })]),
  );
  const network = createInProcessNetwork((id) => stores.get(id));
  const outcomes: PullOutcome['kind'][] = [];
  let failures = 0;
  const pullers = new PeerPullers({
    replicator: new Replicator({
      store: stores.get(PULLER) as MemoryReplicationStore,
      transport: network.transportFor(PULLER),
    }),
    fallbackIntervalMs: 0, // no fallback poll: only pokes and retries pull
    onOutcome: (outcome) => {
      outcomes.push(outcome.kind);
      failures = outcome.kind === 'applied' ? 0 : failures + 1;
    },
    onError: () => undefined,
    failuresInARow: () => failures,
    random: () => 0.5,
  });
  return {
    source: stores.get(SOURCE) as MemoryReplicationStore,
    puller: stores.get(PULLER) as MemoryReplicationStore,
    network,
    outcomes,
    pullers,
  };
}

describe('the pullers of the connected peers', () => {
  it('pull from a peer as soon as it connects', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    h.pullers.connect(SOURCE);
    await until(() => h.puller.visibleRows('users').length === 1);
    await h.pullers.stop();
  });

  it('retry a failed pull after a short backoff instead of waiting for the fallback poll', async () => {
    const h = setup();
    h.network.setDown(SOURCE, true);
    h.pullers.connect(SOURCE);
    await until(() => h.outcomes.includes('unreachable'));
    await h.source.insert('users', userRow());
    h.network.setDown(SOURCE, false);
    await until(() => h.puller.visibleRows('users').length === 1, 2_000);
    expect(h.outcomes[0]).toBe('unreachable');
    expect(h.outcomes).toContain('applied');
    await h.pullers.stop();
  });

  it('stop pulling from a peer that disconnected', async () => {
    const h = setup();
    h.pullers.connect(SOURCE);
    await until(() => h.outcomes.length === 1);
    await h.pullers.disconnect(SOURCE);
    await h.source.insert('users', userRow());
    expect(h.pullers.poke(SOURCE)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.puller.visibleRows('users')).toHaveLength(0);
    expect(h.pullers.peers()).toEqual([]);
  });

  it('never wait longer between retries than the fallback poll, nor longer than 10 s', () => {
    expect(retryBackoff(2_000).maxMs).toBe(2_000);
    expect(retryBackoff(30_000).maxMs).toBe(10_000);
  });
});
