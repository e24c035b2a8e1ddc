/**
 * The replication behaviour suite: ONE set of tests run against every store implementation (in memory:
 * store/memoryStore.test.ts; PostgreSQL: postgres/postgresStore.int.test.ts). A factory gives N nodes with the
 * app-shaped tables; the suite wires them with the in-process transport and the engine driver.
 */
import { encodeHlc } from '../core/hlc';
import type { ChangeBatch } from '../core/protocol';
import { PROTOCOL_VERSION } from '../core/protocol';
import { describeSchema } from '../core/schemaCompatibility';
import { createInProcessNetwork } from '../engine/inProcessTransport';
import type { InProcessNetwork } from '../engine/inProcessTransport';
import { replicateUntilQuiet } from '../engine/replicateUntilQuiet';
import { answerPull } from '../engine/replicationServer';
import { Replicator } from '../engine/replicator';
import { tableHashOf } from '../engine/tableHash';
import type { ReplicationStore } from '../store/replicationStore';
import type { Row } from './appShapedTables';
import { APP_SHAPED_TABLE_NAMES, NODE_IDS, businessRow, employeeRow, userRow } from './appShapedTables';

export interface BehaviourNode {
  readonly nodeId: string;
  readonly store: ReplicationStore;
  /** Writes as the application would (a local transaction). */
  insert(table: string, row: Row): Promise<void>;
  update(table: string, pk: string, changes: Row): Promise<void>;
  remove(table: string, pk: string): Promise<void>;
  /** What the application sees, sorted by primary key. */
  rows(table: string): Promise<Row[]>;
}

export interface BehaviourCluster {
  readonly nodes: BehaviourNode[];
  /** A further node with empty tables. */
  addNode(): Promise<BehaviourNode>;
  close(): Promise<void>;
}

export type BehaviourClusterFactory = (nodeCount: number) => Promise<BehaviourCluster>;

/** Wall-clock pause so that stamps of consecutive writes on different nodes are ordered. */
export const pause = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

class Harness {
  readonly network: InProcessNetwork;
  private readonly replicators = new Map<string, Replicator>();

  constructor(readonly cluster: BehaviourCluster) {
    const stores = () => new Map(cluster.nodes.map((node) => [node.nodeId, node.store]));
    this.network = createInProcessNetwork((nodeId) => stores().get(nodeId));
  }

  replicator(node: BehaviourNode): Replicator {
    let replicator = this.replicators.get(node.nodeId);
    if (!replicator) {
      replicator = new Replicator({
        store: node.store,
        transport: this.network.transportFor(node.nodeId),
        pullLimit: 50,
      });
      this.replicators.set(node.nodeId, replicator);
    }
    return replicator;
  }

  node(index: number): BehaviourNode {
    return this.cluster.nodes[index]!;
  }

  async sync() {
    const nodes = this.cluster.nodes;
    return replicateUntilQuiet(
      nodes.map((node) => ({
        nodeId: node.nodeId,
        replicator: this.replicator(node),
        peers: nodes.filter((other) => other.nodeId !== node.nodeId).map((other) => other.nodeId),
      })),
      { isDown: (nodeId) => this.network.isDown(nodeId) },
    );
  }

  async hashes(node: BehaviourNode): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    for (const table of APP_SHAPED_TABLE_NAMES) result[table] = tableHashOf(await node.rows(table));
    return result;
  }

  async expectConverged(): Promise<Record<string, string>> {
    const [first, ...rest] = this.cluster.nodes.filter((node) => !this.network.isDown(node.nodeId));
    const expected = await this.hashes(first!);
    for (const node of rest)
      expect({ node: node.nodeId, hashes: await this.hashes(node) }).toEqual({ node: node.nodeId, hashes: expected });
    return expected;
  }
}

export function describeReplicationBehaviour(storeName: string, factory: BehaviourClusterFactory): void {
  describe(`replication between ${storeName} stores`, () => {
    let cluster: BehaviourCluster;
    let h: Harness;

    beforeEach(async () => {
      cluster = await factory(3);
      h = new Harness(cluster);
    });

    afterEach(async () => {
      await cluster?.close();
    });

    it('a row written on one node appears on every other node', async () => {
      const user = userRow();
      await h.node(0).insert('users', user);
      await h.sync();
      for (const node of cluster.nodes) expect(await node.rows('users')).toEqual([user]);
    });

    it('writes on every node converge to the same per-table hashes', async () => {
      const businesses = cluster.nodes.map(() => businessRow());
      for (const [index, node] of cluster.nodes.entries()) {
        await node.insert('businesses', businesses[index]!);
        for (let i = 0; i < 3; i++)
          await node.insert('employees', employeeRow(businesses[index]!.id!, { name: `e${index}-${i}` }));
        await node.insert('users', userRow({ name: `user of node ${index}` }));
      }
      await h.sync();
      await h.node(0).update('businesses', businesses[1]!.id!, { name: 'renamed on node 1' });
      await h.node(2).update('businesses', businesses[1]!.id!, { active: 'false' });
      await h.node(1).remove('businesses', businesses[2]!.id!);
      await h.sync();
      const hashes = await h.expectConverged();
      expect(hashes.businesses).toMatch(/^2:/);
      expect(hashes.employees).toMatch(/^6:/);
      expect(hashes.users).toMatch(/^3:/);
      const renamed = (await h.node(1).rows('businesses')).find((row) => row.id === businesses[1]!.id);
      expect(renamed).toMatchObject({ name: 'renamed on node 1', active: 'false' });
    });

    it('concurrent edits of different columns of one row both survive', async () => {
      const user = userRow();
      await h.node(0).insert('users', user);
      await h.sync();
      await h.node(0).update('users', user.id!, { name: 'Name from node 0' });
      await h.node(1).update('users', user.id!, { role: 'admin' });
      await h.sync();
      for (const node of cluster.nodes) {
        expect(await node.rows('users')).toEqual([{ ...user, name: 'Name from node 0', role: 'admin' }]);
      }
    });

    it('concurrent edits of the same column: the later write wins on every node', async () => {
      const user = userRow();
      await h.node(0).insert('users', user);
      await h.sync();
      await h.node(1).update('users', user.id!, { name: 'earlier' });
      await pause();
      await h.node(0).update('users', user.id!, { name: 'later' });
      await h.sync();
      for (const node of cluster.nodes) expect((await node.rows('users'))[0]!.name).toBe('later');
    });

    it('a delete newer than a concurrent update wins on every node', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.sync();
      await h.node(1).update('businesses', business.id!, { name: 'updated before the delete' });
      await pause();
      await h.node(0).remove('businesses', business.id!);
      await h.sync();
      for (const node of cluster.nodes) expect(await node.rows('businesses')).toEqual([]);
    });

    it('an update newer than a concurrent delete brings the whole row back on every node', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.sync();
      await h.node(0).update('businesses', business.id!, { address: '2 Side Street' });
      await h.node(0).remove('businesses', business.id!);
      await pause();
      await h.node(1).update('businesses', business.id!, { name: 'edited after the delete' });
      await h.sync();
      for (const node of cluster.nodes) {
        expect(await node.rows('businesses')).toEqual([
          { ...business, address: '2 Side Street', name: 'edited after the delete' },
        ]);
      }
    });

    it('a late update older than the delete does not resurrect the row', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.sync();
      await h.node(1).update('businesses', business.id!, { name: 'stale edit' });
      await pause();
      await h.node(0).remove('businesses', business.id!);
      // node 2 hears of the delete first, the older update arrives afterwards
      await h.replicator(h.node(2)).catchUp(h.node(0).nodeId);
      expect(await h.node(2).rows('businesses')).toEqual([]);
      await h.replicator(h.node(2)).catchUp(h.node(1).nodeId);
      expect(await h.node(2).rows('businesses')).toEqual([]);
      await h.sync();
      await h.expectConverged();
    });

    it('deleting a business removes its employees everywhere, even one edited concurrently on another node', async () => {
      const business = businessRow();
      const employee = employeeRow(business.id!);
      await h.node(0).insert('businesses', business);
      await h.node(0).insert('employees', employee);
      await h.sync();
      await h.node(0).remove('businesses', business.id!);
      await pause();
      await h.node(1).update('employees', employee.id!, { title: 'Head Baker' });
      await h.sync();
      for (const node of cluster.nodes) {
        expect(await node.rows('businesses')).toEqual([]);
        expect(await node.rows('employees')).toEqual([]);
      }
      await h.expectConverged();
    });

    it('two nodes creating a user with the same email end with one owner of it, the same on every node', async () => {
      const first = userRow({ email: 'same@example.com', name: 'first' });
      const second = userRow({ email: 'same@example.com', name: 'second' });
      await h.node(0).insert('users', first);
      await pause();
      await h.node(1).insert('users', second);
      await h.sync();
      for (const node of cluster.nodes) {
        const users = await node.rows('users');
        expect(users.find((u) => u.id === first.id)?.email).toBe('same@example.com');
        expect(users.find((u) => u.id === second.id)?.email).toBe(
          `same@example.com#conflict-${second.id!.replace(/-/g, '').slice(-12)}`,
        );
      }
      await h.expectConverged();
      let resolved = 0;
      for (const node of cluster.nodes)
        for (const peer of await node.store.peerProgress()) resolved += peer.conflictsResolved;
      expect(resolved).toBeGreaterThanOrEqual(1);
    });

    it('a node that was stopped catches up when it comes back', async () => {
      await h.node(0).insert('users', userRow());
      await h.sync();
      h.network.setDown(h.node(2).nodeId, true);
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.sync();
      await h.node(1).insert('employees', employeeRow(business.id!));
      await h.node(1).insert('users', userRow());
      await h.sync();
      expect(await h.node(2).rows('businesses')).toEqual([]);
      h.network.setDown(h.node(2).nodeId, false);
      await h.sync();
      const hashes = await h.expectConverged();
      expect(hashes.users).toMatch(/^2:/);
      expect(hashes.employees).toMatch(/^1:/);
    });

    it('a node started with an empty database loads a snapshot and catches up', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.node(1).insert('users', userRow());
      await h.sync();
      await h.node(0).remove('businesses', business.id!);
      await h.node(1).insert('users', userRow());
      const fresh = await cluster.addNode();
      const outcome = await h.replicator(fresh).initialLoad(h.node(0).nodeId, [h.node(1).nodeId, h.node(2).nodeId]);
      expect(outcome.kind).toBe('applied');
      await h.node(2).insert('users', userRow());
      await h.sync();
      const hashes = await h.expectConverged();
      expect(hashes.users).toMatch(/^3:/);
      expect(hashes.businesses).toMatch(/^0:/);
    });

    it('a change is never sent back to the node it came from', async () => {
      const user = userRow();
      await h.node(0).insert('users', user);
      await h.sync();
      const toOrigin = await h.node(1).store.readChanges({ forPeer: h.node(0).nodeId, cursor: null, limit: 100 });
      const toOther = await h.node(1).store.readChanges({ forPeer: h.node(2).nodeId, cursor: null, limit: 100 });
      expect(toOrigin.type === 'batch' && toOrigin.changes.map((c) => c.pk)).toEqual([]);
      expect(toOther.type === 'batch' && toOther.changes.map((c) => c.pk)).toEqual([user.id]);
    });

    it('redelivering a batch changes nothing', async () => {
      await h.node(0).insert('users', userRow());
      await h.node(0).insert('businesses', businessRow());
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      const first = await h.node(1).store.applyBatch(h.node(0).nodeId, batch);
      const rowsAfterFirst = await h.node(1).rows('users');
      const second = await h.node(1).store.applyBatch(h.node(0).nodeId, batch);
      expect(first).toMatchObject({ ok: true, applied: 2, unchanged: 0 });
      expect(second).toMatchObject({ ok: true, applied: 0, unchanged: 2 });
      expect(await h.node(1).rows('users')).toEqual(rowsAfterFirst);
    });

    it('a batch with one bad state applies nothing and is reported', async () => {
      await h.node(0).insert('users', userRow());
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      const bad = {
        ...batch.changes[0]!,
        pk: '00000000-0000-7000-8000-0000000000aa',
        values: { ...batch.changes[0]!.values, id: '00000000-0000-7000-8000-0000000000aa', shoe_size: '44' },
      };
      const outcome = await h
        .node(1)
        .store.applyBatch(h.node(0).nodeId, { ...batch, changes: [...batch.changes, bad] });
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.problems.join(' ')).toMatch(/unknown columns shoe_size/);
      expect(await h.node(1).rows('users')).toEqual([]);
      const progress = (await h.node(1).store.peerProgress()).find((p) => p.peerId === h.node(0).nodeId);
      expect(progress?.lastError).toMatch(/unknown columns shoe_size/);
      expect(progress?.cursor).toBeNull();
    });

    it('a stamp too far in the future is refused and reported', async () => {
      await h.node(0).insert('users', userRow());
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      const future = encodeHlc({ wallMs: Date.now() + 3_600_000, counter: 0, nodeId: h.node(0).nodeId });
      const outcome = await h
        .node(1)
        .store.applyBatch(h.node(0).nodeId, { ...batch, changes: batch.changes.map((c) => ({ ...c, hlc: future })) });
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.problems.join(' ')).toMatch(/ms ahead of this node's clock/);
      expect(await h.node(1).rows('users')).toEqual([]);
    });

    it('answers a requester on another schema version with its batch and its table description', async () => {
      await h.node(0).insert('users', userRow());
      const answer = await answerPull(h.node(0).store, {
        type: 'pull',
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: 'sv1-0000000000000000',
        requesterNodeId: h.node(1).nodeId,
        cursor: null,
        limit: 10,
      });
      expect(answer).toMatchObject({ type: 'batch', schemaVersion: h.node(0).store.schemaVersion });
      const schema = answer.type === 'batch' ? answer.schema : undefined;
      expect(schema?.tables.find((t) => t.name === 'users')?.columns.map((c) => c.name)).toEqual(
        expect.arrayContaining(['email', 'role']),
      );
      const same = await answerPull(h.node(0).store, {
        type: 'pull',
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: h.node(0).store.schemaVersion,
        requesterNodeId: h.node(1).nodeId,
        cursor: null,
        limit: 10,
      });
      expect(same.type === 'batch' && same.schema).toBeUndefined();
    });

    /** node 0's batch as a peer on another release would send it: `shape` edits the users table's columns. */
    const asOtherRelease = (
      batch: ChangeBatch,
      store: ReplicationStore,
      shape: (columns: { name: string; type: string }[]) => { name: string; type: string }[],
    ): ChangeBatch => {
      const schema = describeSchema(store.tables);
      return {
        ...batch,
        schemaVersion: 'sv1-0123456789abcdef',
        schema: { tables: schema.tables.map((t) => (t.name === 'users' ? { ...t, columns: shape(t.columns) } : t)) },
      };
    };

    it('a change from a peer that lacks a column (not upgraded yet) applies, and leaves that column untouched', async () => {
      const user = userRow();
      await h.node(0).insert('users', user);
      await h.sync();
      await pause();
      await h.node(1).update('users', user.id!, { name: 'renamed on the upgraded node' });
      await pause();
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      // the older peer rewrote every column it has, after the rename: a base stamp newer than the rename
      const newer = encodeHlc({ wallMs: Date.now(), counter: 0, nodeId: h.node(0).nodeId });
      const { name: _name, ...withoutName } = batch.changes[0]!.values;
      const older = asOtherRelease(
        {
          ...batch,
          changes: [
            { ...batch.changes[0]!, hlc: newer, columnHlcs: undefined, values: { ...withoutName, role: 'admin' } },
          ],
        },
        h.node(0).store,
        (columns) => columns.filter((c) => c.name !== 'name'),
      );
      const outcome = await h.node(1).store.applyBatch(h.node(0).nodeId, older);
      expect(outcome.ok).toBe(true);
      expect(await h.node(1).rows('users')).toEqual([{ ...user, name: 'renamed on the upgraded node', role: 'admin' }]);
    });

    it('a change from a peer with a column this node lacks waits: nothing applied, cursor kept, no error recorded', async () => {
      const user = userRow();
      await h.node(0).insert('users', user);
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      const newer = asOtherRelease(
        { ...batch, changes: batch.changes.map((c) => ({ ...c, values: { ...c.values, nickname: 'nick' } })) },
        h.node(0).store,
        (columns) => [...columns, { name: 'nickname', type: 'text' }],
      );
      const outcome = await h.node(1).store.applyBatch(h.node(0).nodeId, newer);
      expect(outcome).toMatchObject({ ok: false, waitingForUpgrade: true });
      expect(!outcome.ok && outcome.problems.join(' ')).toMatch(/users\.nickname.*Upgrade this node/);
      expect(await h.node(1).rows('users')).toEqual([]);
      const progress = (await h.node(1).store.peerProgress()).find((p) => p.peerId === h.node(0).nodeId);
      expect(progress?.cursor ?? null).toBeNull();
      expect(progress?.lastError ?? null).toBeNull();
    });

    it('a push from a peer on another schema version is taken as a poke: nothing applied, nothing recorded', async () => {
      await h.node(0).insert('users', userRow());
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100, forPush: true })) as ChangeBatch;
      const replicator = new Replicator({
        store: h.node(1).store,
        transport: {
          pull: () => Promise.reject(new Error('not here')),
          snapshot: () => Promise.reject(new Error('not here')),
        },
      });
      const pushed = {
        type: 'push',
        protocolVersion: PROTOCOL_VERSION,
        fromCursor: null,
        batch: { ...batch, schemaVersion: 'sv1-0123456789abcdef' },
      };
      expect(await replicator.applyPushed(h.node(0).nodeId, pushed)).toBeNull();
      expect(await h.node(1).rows('users')).toEqual([]);
      const progress = (await h.node(1).store.peerProgress()).find((p) => p.peerId === h.node(0).nodeId);
      expect(progress?.lastError ?? null).toBeNull();
    });

    it('a peer whose column has another type is refused, saying which and how to fix it', async () => {
      await h.node(0).insert('users', userRow());
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      const other = asOtherRelease(batch, h.node(0).store, (columns) =>
        columns.map((c) => (c.name === 'role' ? { ...c, type: 'integer' } : c)),
      );
      const outcome = await h.node(1).store.applyBatch(h.node(0).nodeId, other);
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.waitingForUpgrade).toBeFalsy();
      expect(!outcome.ok && outcome.problems.join(' ')).toMatch(
        /column role is integer there, text here.*run the same release on every node/,
      );
      expect(await h.node(1).rows('users')).toEqual([]);
    });

    it('a child row that arrives before its parent waits and appears with it', async () => {
      const business = businessRow();
      const employee = employeeRow(business.id!);
      await h.node(0).insert('businesses', business);
      await h.node(0).insert('employees', employee);
      const batch = (await h
        .node(0)
        .store.readChanges({ forPeer: h.node(1).nodeId, cursor: null, limit: 100 })) as ChangeBatch;
      const childOnly = { ...batch, changes: batch.changes.filter((c) => c.table === 'employees') };
      const parentOnly = { ...batch, changes: batch.changes.filter((c) => c.table === 'businesses') };
      expect(await h.node(1).store.applyBatch(h.node(0).nodeId, childOnly)).toMatchObject({ ok: true, pending: 1 });
      expect(await h.node(1).rows('employees')).toEqual([]);
      expect(await h.node(1).store.applyBatch(h.node(0).nodeId, parentOnly)).toMatchObject({ ok: true });
      expect(await h.node(1).rows('employees')).toEqual([employee]);
    });

    it('purges tombstones every peer acknowledged, and tells a puller behind the horizon to reload', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.sync();
      await h.node(0).remove('businesses', business.id!);
      await h.sync();
      await h.sync(); // the peers' last pulls acknowledge everything
      const purge = await h.node(0).store.purge({
        knownPeers: [h.node(1).nodeId, h.node(2).nodeId],
        retentionMs: 0,
        nowMs: Date.now() + 1000,
      });
      expect(purge.purged).toBe(1);
      const answer = await h.node(0).store.readChanges({ forPeer: NODE_IDS[3], cursor: null, limit: 10 });
      expect(answer).toMatchObject({ type: 'reload-required' });
      const unacknowledged = await h
        .node(1)
        .store.purge({ knownPeers: [NODE_IDS[3]], retentionMs: 0, nowMs: Date.now() + 1000 });
      expect(unacknowledged.purged).toBe(0);
    });

    it('keeps tombstones younger than the retention period', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      await h.sync();
      await h.node(0).remove('businesses', business.id!);
      await h.sync();
      await h.sync();
      const purge = await h
        .node(0)
        .store.purge({ knownPeers: [h.node(1).nodeId, h.node(2).nodeId], retentionMs: 3_600_000 });
      expect(purge.purged).toBe(0);
    });

    it('batches applied in any order, with duplicates, give the same rows', async () => {
      const business = businessRow();
      await h.node(0).insert('businesses', business);
      const employee = employeeRow(business.id!);
      await h.node(0).insert('employees', employee);
      await h.node(0).update('businesses', business.id!, { name: 'v2' });
      await h.node(1).insert('users', userRow());
      const batches: { from: string; batch: ChangeBatch }[] = [];
      for (const source of [h.node(0), h.node(1)]) {
        let cursor = null;
        for (;;) {
          const batch = (await source.store.readChanges({
            forPeer: h.node(2).nodeId,
            cursor,
            limit: 1,
          })) as ChangeBatch;
          if (batch.changes.length > 0) batches.push({ from: source.nodeId, batch });
          if (!batch.hasMore) break;
          cursor = batch.nextCursor;
        }
      }
      const scrambled = [...batches].reverse().concat(batches[0]!, batches[batches.length - 1]!);
      for (const { from, batch } of scrambled)
        expect(await h.node(2).store.applyBatch(from, batch)).toMatchObject({ ok: true });
      await h.sync();
      await h.expectConverged();
      expect((await h.node(2).rows('employees')).length).toBe(1);
    });
  });
}
