/**
 * The paged initial load (core/snapshotPages.ts), run against every store implementation like the behaviour
 * suite (store/memoryStore.test.ts, postgres/postgresStore.int.test.ts): a load of many pages, a hostile page,
 * writes on the source while the load runs, an interrupted load.
 */
import type { SnapshotPageRequest } from '../core/snapshotPages';
import { createInProcessNetwork } from '../engine/inProcessTransport';
import { replicateUntilQuiet } from '../engine/replicateUntilQuiet';
import { Replicator } from '../engine/replicator';
import type { ReplicationTransport } from '../engine/transport';
import { SnapshotPagesUnsupportedError } from '../engine/transport';
import { tableHashOf } from '../engine/tableHash';
import type { Row } from './appShapedTables';
import { APP_SHAPED_TABLE_NAMES, userRow } from './appShapedTables';
import type { BehaviourCluster, BehaviourClusterFactory, BehaviourNode } from './replicationBehaviour';
import { pause } from './replicationBehaviour';

/** Rows on the source and the page size of the joiner: many pages flow. */
const SOURCE_ROWS = 40;
const PAGE_CHANGES = 6;

type PageHook = (request: SnapshotPageRequest, answer: () => Promise<unknown>) => Promise<unknown>;

export function describePagedJoin(storeName: string, factory: BehaviourClusterFactory): void {
  describe(`joining a ${storeName} node in pages`, () => {
    let cluster: BehaviourCluster;
    let source: BehaviourNode;
    let joiner: BehaviourNode;
    let users: Row[];

    beforeEach(async () => {
      cluster = await factory(1);
      source = cluster.nodes[0]!;
      users = Array.from({ length: SOURCE_ROWS }, () => userRow());
      for (const user of users) await source.insert('users', user);
      joiner = await cluster.addNode();
    });

    afterEach(async () => {
      await cluster?.close();
    });

    const network = () =>
      createInProcessNetwork((nodeId) => cluster.nodes.find((node) => node.nodeId === nodeId)?.store);

    /** The joiner's replicator; `hook` sees (and may replace) every page answer. Legacy snapshots are refused. */
    function replicatorWith(hook: PageHook, pages: SnapshotPageRequest[] = []): Replicator {
      const inner = network().transportFor(joiner.nodeId);
      const transport: ReplicationTransport = {
        pull: (peerId, request) => inner.pull(peerId, request),
        snapshot: () => Promise.reject(new Error('a paged load asks for no whole snapshot')),
        snapshotPage: (peerId, request) => {
          pages.push(request);
          return hook(request, () => inner.snapshotPage!(peerId, request));
        },
      };
      return new Replicator({ store: joiner.store, transport, snapshotPageLimit: PAGE_CHANGES });
    }

    const hashes = async (node: BehaviourNode) => {
      const result: Record<string, string> = {};
      for (const table of APP_SHAPED_TABLE_NAMES) result[table] = tableHashOf(await node.rows(table));
      return result;
    };

    /** Pulls both ways until quiet (what the service does after the load). */
    const settle = (replicator: Replicator) =>
      replicateUntilQuiet([{ nodeId: joiner.nodeId, replicator, peers: [source.nodeId] }], { isDown: () => false });

    it('loads more rows than one page holds: every page applied, then pulls find the same tables', async () => {
      const pages: SnapshotPageRequest[] = [];
      const replicator = replicatorWith((_request, answer) => answer(), pages);
      const outcome = await replicator.initialLoad(source.nodeId, []);
      expect(outcome).toMatchObject({ kind: 'applied', received: SOURCE_ROWS, applied: SOURCE_ROWS });
      expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(SOURCE_ROWS / PAGE_CHANGES));
      expect(pages[0]!.fence).toBeNull();
      expect(new Set(pages.slice(1).map((page) => page.fence)).size).toBe(1);
      expect((await joiner.rows('users')).length).toBe(SOURCE_ROWS);
      // the cursor after the load is the fence itself: the first pull finds nothing to add
      const pulled = await replicator.pullOnce(source.nodeId);
      expect(pulled).toMatchObject({ kind: 'applied', received: 0 });
      expect(await hashes(joiner)).toEqual(await hashes(source));
    });

    it('a page mixing rows the node already has with new ones: the new ones go in, the known one merges by last-writer-wins', async () => {
      // the joiner already holds one of the source's rows (same key), written later here: its stamps are newer
      const known = users[PAGE_CHANGES + 1]!;
      await pause();
      await joiner.insert('users', { ...known, name: 'Written Later On The Joiner' });
      const replicator = replicatorWith((_request, answer) => answer());
      const outcome = await replicator.initialLoad(source.nodeId, []);
      expect(outcome).toMatchObject({ kind: 'applied', received: SOURCE_ROWS });
      const rows = await joiner.rows('users');
      expect(rows.length).toBe(SOURCE_ROWS);
      expect(rows.find((row) => row.id === known.id)?.name).toBe('Written Later On The Joiner');
      // the rows around it, in the same page, came in as they are on the source
      for (const user of users.slice(PAGE_CHANGES, 2 * PAGE_CHANGES).filter((user) => user.id !== known.id))
        expect(rows.find((row) => row.id === user.id)).toEqual(user);
      // the pulls after the load leave the newer write standing (the source learns it by pulling from the joiner)
      await settle(replicator);
      const settled = await joiner.rows('users');
      expect(settled.length).toBe(SOURCE_ROWS);
      expect(settled.find((row) => row.id === known.id)?.name).toBe('Written Later On The Joiner');
    });

    it('refuses a hostile page naming the field, applies nothing of it, and does not count the load as done', async () => {
      const replicator = replicatorWith(async (request, answer) => {
        const page = (await answer()) as { changes: { pk: string }[] };
        if (request.after !== null) page.changes[1]!.pk = "1'; DROP TABLE users; --";
        return page;
      });
      const outcome = await replicator.initialLoad(source.nodeId, []);
      expect(outcome.kind).toBe('bad-response');
      expect(outcome.kind !== 'applied' && outcome.message).toMatch(/changes\.1\.pk: must be a lowercase uuid/);
      // the first page is in, the hostile second one is not
      expect((await joiner.rows('users')).length).toBe(PAGE_CHANGES);
      const progress = (await joiner.store.peerProgress()).find((peer) => peer.peerId === source.nodeId);
      expect(progress?.lastError).toMatch(/changes\.1\.pk/);
    });

    it('refuses a first page with an unknown column: nothing applied, no cursor on the source', async () => {
      const replicator = replicatorWith(async (_request, answer) => {
        const page = (await answer()) as { changes: { values: Record<string, unknown> }[] };
        page.changes[0]!.values.is_admin = 'true';
        return page;
      });
      const outcome = await replicator.initialLoad(source.nodeId, []);
      expect(outcome.kind).toBe('refused');
      expect(outcome.kind !== 'applied' && outcome.message).toMatch(/unknown columns is_admin/);
      expect(await joiner.rows('users')).toEqual([]);
      expect(await joiner.store.peerCursor(source.nodeId)).toBeNull();
    });

    it('loses no write made on the source while the load runs', async () => {
      const late = userRow();
      let wrote = false;
      const replicator = replicatorWith(async (request, answer) => {
        const page = await answer();
        if (request.after !== null && !wrote) {
          wrote = true;
          // after the first page: change a row already sent, delete one not sent yet, add one
          await source.update('users', users[0]!.id as string, { name: 'Renamed During The Join' });
          await source.remove('users', users[SOURCE_ROWS - 1]!.id as string);
          await source.insert('users', late);
        }
        return page;
      });
      expect((await replicator.initialLoad(source.nodeId, [])).kind).toBe('applied');
      await settle(replicator);
      const rows = await joiner.rows('users');
      expect(rows.find((row) => row.id === users[0]!.id)?.name).toBe('Renamed During The Join');
      expect(rows.find((row) => row.id === users[SOURCE_ROWS - 1]!.id)).toBeUndefined();
      expect(rows.find((row) => row.id === late.id)).toBeDefined();
      expect(await hashes(joiner)).toEqual(await hashes(source));
    });

    it('an interrupted load continues from the last page applied, and after a restart by pulls', async () => {
      let served = 0;
      const pages: SnapshotPageRequest[] = [];
      const failing = replicatorWith(async (_request, answer) => {
        served += 1;
        if (served === 3) throw new Error('connection reset');
        return answer();
      }, pages);
      const interrupted = await failing.initialLoad(source.nodeId, []);
      expect(interrupted.kind).toBe('unreachable');
      const partial = (await joiner.rows('users')).length;
      expect(partial).toBeGreaterThanOrEqual(PAGE_CHANGES);
      expect(partial).toBeLessThan(SOURCE_ROWS);
      // the same process tries again: it asks from where it stopped, under the same fence
      const resumed = await failing.initialLoad(source.nodeId, []);
      expect(resumed.kind).toBe('applied');
      expect(pages[3]).toMatchObject({ fence: pages[1]!.fence, after: pages[2]!.after });
      expect(await hashes(joiner)).toEqual(await hashes(source));
    });

    it('loads from a source of an earlier release (no page route) with its whole snapshot', async () => {
      const inner = network().transportFor(joiner.nodeId);
      const replicator = new Replicator({
        store: joiner.store,
        transport: {
          ...inner,
          snapshotPage: (peerId) => Promise.reject(new SnapshotPagesUnsupportedError(peerId)),
        },
      });
      expect(await replicator.initialLoad(source.nodeId, [])).toMatchObject({ kind: 'applied', received: SOURCE_ROWS });
      expect(await hashes(joiner)).toEqual(await hashes(source));
    });

    it('a node restarted in the middle of a load catches up by pulls from the last page applied', async () => {
      let served = 0;
      const failing = replicatorWith(async (_request, answer) => {
        served += 1;
        if (served === 2) throw new Error('connection reset');
        return answer();
      });
      expect((await failing.initialLoad(source.nodeId, [])).kind).toBe('unreachable');
      expect(await joiner.store.peerCursor(source.nodeId)).not.toBeNull();
      // a new process: no memory of the load, only the cursor the applied pages left
      const restarted = replicatorWith(() => Promise.reject(new Error('no load after a restart')));
      await settle(restarted);
      expect(await hashes(joiner)).toEqual(await hashes(source));
    });
  });
}
