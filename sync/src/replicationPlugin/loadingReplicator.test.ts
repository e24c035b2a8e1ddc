import type { ReplicationTransport } from '@msk/replication';
import { MemoryReplicationStore, PROTOCOL_VERSION, createInProcessNetwork } from '@msk/replication';
import { APP_SHAPED_TABLES, NODE_IDS, userRow } from '@msk/replication/testing';
import { type InitialLoadRecord, LoadingReplicator } from './loadingReplicator';

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
  const paged: ReplicationTransport = {
    ...transport,
    async snapshotPage(peerId, request) {
      calls.push('page');
      return inner.snapshotPage!(peerId, request);
    },
  };
  return {
    source: stores.get(SOURCE) as MemoryReplicationStore,
    fresh: stores.get(FRESH) as MemoryReplicationStore,
    transport,
    paged,
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
    expect(replicator.initialLoadView.phase).toBe('none');
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
    expect(down.initialLoadView.phase).toBe('due');
    expect(h.fresh.visibleRows('users')).toHaveLength(0);
    expect(h.calls).not.toContain('pull');
  });
});

/** msk_sync.initial_load in memory: what was recorded and cleared, in order. */
function memoryLoadRecord(stored: { peerId: string; fence: string } | null = null) {
  const events: string[] = [];
  const record: InitialLoadRecord = {
    initialLoadInProgress: async () => (stored ? { ...stored, startedAtMs: 0 } : null),
    recordInitialLoadInProgress: async (peerId, fence) => {
      stored = { peerId, fence };
      events.push(`record ${peerId} ${fence}`);
    },
    clearInitialLoadInProgress: async () => {
      stored = null;
      events.push('clear');
    },
  };
  return { record, events, stored: () => stored };
}

/** A replicator loading in pages of 2 states, recording the load in `record`; `onPage` sees its view per page. */
function pagedReplicator(
  h: ReturnType<typeof setup>,
  needsInitialLoad: boolean,
  record: InitialLoadRecord,
  onPage: (replicator: LoadingReplicator) => void,
): LoadingReplicator {
  const replicator: LoadingReplicator = new LoadingReplicator({
    store: h.fresh,
    transport: h.paged,
    needsInitialLoad,
    snapshotPageLimit: 2,
    loadRecord: record,
    onLoadProgress: () => onPage(replicator),
  });
  return replicator;
}

describe('how far the initial load is', () => {
  it('is due before the first pull, loading with its source and progress per page, and none once done', async () => {
    const h = setup();
    for (let i = 0; i < 5; i++) await h.source.insert('users', userRow());
    const { record, events } = memoryLoadRecord();
    const seen: string[] = [];
    const replicator = pagedReplicator(h, true, record, ({ initialLoadView: view }) =>
      seen.push(`${view.phase} ${view.sourcePeerId} ${view.pages} ${view.rowsReceived} ${view.fence !== null}`),
    );
    expect(replicator.initialLoadView).toMatchObject({ phase: 'due', sourcePeerId: null });
    await replicator.catchUp(SOURCE);
    expect(seen).toEqual([`loading ${SOURCE} 1 2 true`, `loading ${SOURCE} 2 4 true`]);
    expect(h.fresh.visibleRows('users')).toHaveLength(5);
    expect(events).toEqual([expect.stringMatching(new RegExp(`^record ${SOURCE} [0-9]+$`)), 'clear']);
    expect(replicator.initialLoadView).toMatchObject({ phase: 'none', sourcePeerId: null, pages: 0 });
  });

  it('records the load before its first page is applied, so no restart finds a cursor without the record', async () => {
    const h = setup();
    for (let i = 0; i < 5; i++) await h.source.insert('users', userRow());
    const { record } = memoryLoadRecord();
    const rowsWhenRecorded: number[] = [];
    const watched: InitialLoadRecord = {
      ...record,
      recordInitialLoadInProgress: async (peerId, fence) => {
        rowsWhenRecorded.push(h.fresh.visibleRows('users').length);
        await record.recordInitialLoadInProgress(peerId, fence);
      },
    };
    await pagedReplicator(h, true, watched, () => undefined).catchUp(SOURCE);
    expect(rowsWhenRecorded).toEqual([0]);
    expect(h.fresh.visibleRows('users')).toHaveLength(5);
  });

  it('records nothing for a load that fits in one page (an empty peer: a fresh cluster is done at once)', async () => {
    const h = setup();
    const { record, events } = memoryLoadRecord();
    const replicator = new LoadingReplicator({
      store: h.fresh,
      transport: h.paged,
      needsInitialLoad: true,
      loadRecord: record,
    });
    expect((await replicator.catchUp(SOURCE)).last.kind).toBe('applied');
    expect(events).toEqual([]);
    expect(replicator.initialLoadView.phase).toBe('none');
  });

  it('keeps why a peer refused the initial load until a load is applied; an unreachable peer is no refusal', async () => {
    const h = setup();
    for (let i = 0; i < 3; i++) await h.source.insert('users', userRow());
    let answer: 'refuse' | 'unreachable' | 'serve' = 'unreachable';
    const transport: ReplicationTransport = {
      ...h.paged,
      async snapshotPage(peerId, request) {
        if (answer === 'unreachable') throw new Error('connect ECONNREFUSED');
        if (answer === 'refuse') return { type: 'snapshot-page', changes: 'not a list' };
        return h.paged.snapshotPage!(peerId, request);
      },
    };
    const replicator = new LoadingReplicator({ store: h.fresh, transport, needsInitialLoad: true, heldData: true });
    expect(replicator.initialLoadView).toMatchObject({ phase: 'due', heldData: true, refusal: null });
    await replicator.catchUp(SOURCE);
    expect(replicator.initialLoadView).toMatchObject({ phase: 'due', refusal: null });
    answer = 'refuse';
    await replicator.catchUp(SOURCE);
    expect(replicator.initialLoadView).toMatchObject({
      phase: 'due',
      refusal: expect.stringMatching(/^bad-response: /),
    });
    answer = 'serve';
    await replicator.catchUp(SOURCE);
    expect(replicator.initialLoadView).toMatchObject({ phase: 'none', refusal: null });
    expect(h.fresh.visibleRows('users')).toHaveLength(3);
  });

  it('calls a forced reload of a node that completed its load "reloading", and records nothing', async () => {
    const h = setup();
    for (let i = 0; i < 5; i++) await h.source.insert('users', userRow());
    const { record, events } = memoryLoadRecord();
    const phases: string[] = [];
    const replicator = pagedReplicator(h, false, record, ({ initialLoadView: view }) => phases.push(view.phase));
    h.answerReloadRequiredOnce();
    expect((await replicator.catchUp(SOURCE)).last.kind).toBe('applied');
    expect(phases).toEqual(['reloading', 'reloading']);
    expect(events).toEqual([]);
    expect(replicator.initialLoadView.phase).toBe('none');
  });

  it('after a restart in the middle, stays catching-up until the cursor on the source passes the fence', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    /** The service restarted: the load it recorded comes back from msk_sync.initial_load. */
    const restarted = async (record: InitialLoadRecord) =>
      new LoadingReplicator({
        store: h.fresh,
        transport: h.paged,
        needsInitialLoad: false,
        interruptedLoad: await record.initialLoadInProgress(),
        loadRecord: record,
      });
    const far = memoryLoadRecord({ peerId: SOURCE, fence: '999999999' });
    const behind = await restarted(far.record);
    expect(behind.initialLoadView).toMatchObject({ phase: 'catching-up', sourcePeerId: SOURCE, fence: '999999999' });
    await behind.catchUp(SOURCE);
    expect(behind.initialLoadView.phase).toBe('catching-up');
    expect(far.events).toEqual([]);

    const near = memoryLoadRecord({ peerId: SOURCE, fence: '1' });
    const caughtUp = await restarted(near.record);
    await caughtUp.catchUp(NODE_IDS[2] as string).catch(() => undefined); // another peer: the load is not done
    expect(caughtUp.initialLoadView.phase).toBe('catching-up');
    await caughtUp.catchUp(SOURCE);
    expect(caughtUp.initialLoadView.phase).toBe('none');
    expect(near.events).toEqual(['clear']);
    expect(near.stored()).toBeNull();
  });
});
