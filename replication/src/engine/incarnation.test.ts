import { MemoryReplicationStore } from '../store/memoryStore';
import { APP_SHAPED_TABLES, NODE_IDS, businessRow } from '../testing/appShapedTables';
import { createInProcessNetwork } from './inProcessTransport';
import { Replicator } from './replicator';

// A source whose database is replaced (restored from a backup, wiped) starts its log positions over: a puller's
// cursor from the old database lies ahead of every new write. The incarnation in every batch makes the puller
// start over instead of skipping them.
describe('a source database of another incarnation', () => {
  const [sourceId, pullerId] = [NODE_IDS[0], NODE_IDS[1]];

  async function setUp() {
    const stores = new Map<string, MemoryReplicationStore>();
    const original = new MemoryReplicationStore({ nodeId: sourceId, tables: APP_SHAPED_TABLES });
    const puller = new MemoryReplicationStore({ nodeId: pullerId, tables: APP_SHAPED_TABLES });
    stores.set(sourceId, original).set(pullerId, puller);
    const replicator = new Replicator({
      store: puller,
      transport: createInProcessNetwork((id) => stores.get(id)).transportFor(pullerId),
    });
    for (let i = 0; i < 5; i++) await original.insert('businesses', businessRow());
    await replicator.catchUp(sourceId);
    return { stores, original, puller, replicator };
  }

  it('records the incarnation of the first answer and keeps pulling normally', async () => {
    const { original, puller, replicator } = await setUp();
    expect(await puller.peerIncarnation(sourceId)).toBe(original.incarnation);
    await original.insert('businesses', businessRow());
    const { last } = await replicator.catchUp(sourceId);
    expect(last.kind).toBe('applied');
    expect(await puller.visibleRows('businesses')).toHaveLength(6);
  });

  it('makes the puller start over from the beginning of the new log, so no new write is skipped', async () => {
    const { stores, puller, replicator } = await setUp();
    const replaced = new MemoryReplicationStore({ nodeId: sourceId, tables: APP_SHAPED_TABLES });
    stores.set(sourceId, replaced);
    const written = businessRow();
    await replaced.insert('businesses', written);
    const first = await replicator.catchUp(sourceId);
    expect(first.last).toMatchObject({
      kind: 'reload-required',
      message: expect.stringContaining('another incarnation'),
    });
    expect(first.applied).toBe(0);
    expect(await puller.peerCursor(sourceId)).toBeNull();
    expect(await puller.peerIncarnation(sourceId)).toBe(replaced.incarnation);
    const second = await replicator.catchUp(sourceId);
    expect(second.last.kind).toBe('applied');
    expect((await puller.visibleRows('businesses')).map((row) => row.id)).toContain(written.id);
  });

  it('without the new incarnation the stale cursor would skip the new write (the hazard it closes)', async () => {
    const { stores, puller, replicator, original } = await setUp();
    const replaced = new MemoryReplicationStore({
      nodeId: sourceId,
      tables: APP_SHAPED_TABLES,
      incarnation: original.incarnation,
    });
    stores.set(sourceId, replaced);
    const written = businessRow();
    await replaced.insert('businesses', written);
    await replicator.catchUp(sourceId);
    expect((await puller.visibleRows('businesses')).map((row) => row.id)).not.toContain(written.id);
  });
});
