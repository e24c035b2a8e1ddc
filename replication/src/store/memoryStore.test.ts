import fc from 'fast-check';
import type { ChangeBatch } from '../core/protocol';
import { APP_SHAPED_TABLES, NODE_IDS, businessRow, employeeRow, userRow } from '../testing/appShapedTables';
import type { BehaviourCluster, BehaviourNode } from '../testing/replicationBehaviour';
import { describePagedJoin } from '../testing/pagedJoinBehaviour';
import { describeReplicationBehaviour } from '../testing/replicationBehaviour';
import { createInProcessNetwork } from '../engine/inProcessTransport';
import { Replicator } from '../engine/replicator';
import { LocalWriteError, MemoryReplicationStore } from './memoryStore';

function memoryNode(nodeId: string): BehaviourNode & { store: MemoryReplicationStore } {
  const store = new MemoryReplicationStore({ nodeId, tables: APP_SHAPED_TABLES });
  return {
    nodeId,
    store,
    insert: (table, row) => store.insert(table, row),
    update: (table, pk, changes) => store.update(table, pk, changes),
    remove: (table, pk) => store.delete(table, pk),
    rows: async (table) => store.visibleRows(table),
  };
}

async function memoryCluster(nodeCount: number): Promise<BehaviourCluster> {
  const nodes: BehaviourNode[] = NODE_IDS.slice(0, nodeCount).map(memoryNode);
  return {
    nodes,
    addNode: async () => {
      const node = memoryNode(NODE_IDS[nodes.length]!);
      nodes.push(node);
      return node;
    },
    close: async () => undefined,
  };
}

describeReplicationBehaviour('in-memory', memoryCluster);

describe('the in-memory store', () => {
  it('refuses local writes that break a unique key or a foreign key, like PostgreSQL', async () => {
    const store = new MemoryReplicationStore({ nodeId: NODE_IDS[0], tables: APP_SHAPED_TABLES });
    await store.insert('users', userRow({ email: 'a@example.com' }));
    await expect(store.insert('users', userRow({ email: 'a@example.com' }))).rejects.toThrow(LocalWriteError);
    await expect(store.insert('employees', employeeRow('00000000-0000-7000-8000-000000000001'))).rejects.toThrow(
      /no businesses row/,
    );
  });

  it('converges whatever order and duplication the batches of two writers arrive in', async () => {
    let nowMs = Date.now();
    const ticking = () => (nowMs += 1); // one shared clock: the order of the writes below is their stamp order
    const writerA = new MemoryReplicationStore({ nodeId: NODE_IDS[0], tables: APP_SHAPED_TABLES, getNowMs: ticking });
    const writerB = new MemoryReplicationStore({ nodeId: NODE_IDS[1], tables: APP_SHAPED_TABLES, getNowMs: ticking });
    const business = businessRow();
    const shared = userRow();
    await writerA.insert('businesses', business);
    await writerA.insert('users', shared);
    await writerB.applyBatch(
      NODE_IDS[0],
      (await writerA.readChanges({ forPeer: NODE_IDS[1], cursor: null, limit: 100 })) as ChangeBatch,
    );
    const employee = employeeRow(business.id!);
    await writerA.insert('employees', employee);
    await writerA.update('users', shared.id!, { name: 'from A' });
    await writerB.update('users', shared.id!, { role: 'admin' });
    await writerB.update('businesses', business.id!, { name: 'from B' });
    await writerA.delete('businesses', business.id!);
    await writerA.insert('users', userRow({ email: 'dup@example.com' }));
    await writerB.insert('users', userRow({ email: 'dup@example.com' }));

    const batches: { from: string; batch: ChangeBatch }[] = [];
    for (const [from, source] of [
      [NODE_IDS[0], writerA],
      [NODE_IDS[1], writerB],
    ] as const) {
      let cursor = null;
      for (;;) {
        const batch = (await source.readChanges({ forPeer: NODE_IDS[2], cursor, limit: 1 })) as ChangeBatch;
        batches.push({ from, batch });
        if (!batch.hasMore) break;
        cursor = batch.nextCursor;
      }
    }
    const reference = new MemoryReplicationStore({ nodeId: NODE_IDS[2], tables: APP_SHAPED_TABLES });
    for (const { from, batch } of batches) await reference.applyBatch(from, batch);
    const expected = Object.fromEntries(APP_SHAPED_TABLES.map((t) => [t.name, reference.visibleRows(t.name)]));
    expect(expected.users!.filter((u) => String(u.email).startsWith('dup@example.com#conflict-'))).toHaveLength(1);
    expect(expected.businesses).toEqual([]);

    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([...batches, ...batches], { minLength: batches.length * 2, maxLength: batches.length * 2 }),
        async (delivery) => {
          const receiver = new MemoryReplicationStore({ nodeId: NODE_IDS[3], tables: APP_SHAPED_TABLES });
          for (const { from, batch } of delivery)
            expect(await receiver.applyBatch(from, batch)).toMatchObject({ ok: true });
          expect(Object.fromEntries(APP_SHAPED_TABLES.map((t) => [t.name, receiver.visibleRows(t.name)]))).toEqual(
            expected,
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('a puller that asks ahead while applying', () => {
  it('acknowledges only what it has applied, so the source purges nothing it still needs', async () => {
    const source = new MemoryReplicationStore({ nodeId: NODE_IDS[0], tables: APP_SHAPED_TABLES });
    const sink = new MemoryReplicationStore({ nodeId: NODE_IDS[1], tables: APP_SHAPED_TABLES });
    for (let i = 0; i < 5; i++) await source.insert('users', userRow());
    const acknowledged: unknown[] = [];
    const read = source.readChanges.bind(source);
    source.readChanges = async (request) => {
      acknowledged.push(request.acknowledged !== undefined ? request.acknowledged : request.cursor);
      return read(request);
    };
    const network = createInProcessNetwork((id) => (id === NODE_IDS[0] ? source : sink));
    const replicator = new Replicator({ store: sink, transport: network.transportFor(NODE_IDS[1]), pullLimit: 2 });
    const result = await replicator.catchUp(NODE_IDS[0]);
    // 2 + 2 + 1 changes, then one more request (the last batch still carried changes) that finds nothing
    expect(result.batches).toBe(4);
    expect(sink.visibleRows('users')).toHaveLength(5);
    // the second request went out before the first batch was applied: it acknowledges nothing yet
    expect(acknowledged[0]).toBeNull();
    expect(acknowledged[1]).toBeNull();
    expect(acknowledged).toHaveLength(4);
  });

  it('keeps asking ahead while big batches keep arriving, and stops at the first empty batch', async () => {
    const source = new MemoryReplicationStore({ nodeId: NODE_IDS[0], tables: APP_SHAPED_TABLES });
    const sink = new MemoryReplicationStore({ nodeId: NODE_IDS[1], tables: APP_SHAPED_TABLES });
    await source.insert('users', userRow());
    let reads = 0;
    const read = source.readChanges.bind(source);
    source.readChanges = async (request) => {
      reads += 1;
      if (reads <= 3) await source.insert('users', userRow()); // a writer commits while we pull
      return read(request);
    };
    const network = createInProcessNetwork((id) => (id === NODE_IDS[0] ? source : sink));
    // a limit of 10: one change is 10% of it, a streaming batch
    const replicator = new Replicator({ store: sink, transport: network.transportFor(NODE_IDS[1]), pullLimit: 10 });
    const result = await replicator.catchUp(NODE_IDS[0]);
    expect(sink.visibleRows('users')).toHaveLength(4);
    expect(result.batches).toBe(4); // three batches with changes, none full, and the empty one that ends the catch-up
  });

  it('does not ask ahead after a trickle (a batch far below the limit)', async () => {
    const source = new MemoryReplicationStore({ nodeId: NODE_IDS[0], tables: APP_SHAPED_TABLES });
    const sink = new MemoryReplicationStore({ nodeId: NODE_IDS[1], tables: APP_SHAPED_TABLES });
    await source.insert('users', userRow());
    const network = createInProcessNetwork((id) => (id === NODE_IDS[0] ? source : sink));
    const replicator = new Replicator({ store: sink, transport: network.transportFor(NODE_IDS[1]), pullLimit: 100 });
    const result = await replicator.catchUp(NODE_IDS[0]);
    expect(result.batches).toBe(1);
    expect(sink.visibleRows('users')).toHaveLength(1);
  });
});

describePagedJoin('in-memory', memoryCluster);
