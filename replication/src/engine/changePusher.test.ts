import type { Cursor, PullResponse, Push } from '../core/protocol';
import { MAX_PUSH_CHANGES } from '../core/protocol';
import { MemoryReplicationStore } from '../store/memoryStore';
import { APP_SHAPED_TABLES, NODE_IDS, userRow } from '../testing/appShapedTables';
import { until } from '../testing/waitUntil';
import { ChangePusher } from './changePusher';
import { createInProcessNetwork } from './inProcessTransport';
import { PullScheduler } from './pullScheduler';
import { Replicator } from './replicator';

const [SOURCE, PULLER] = [NODE_IDS[0] as string, NODE_IDS[1] as string];
/** A pull answer that ends, caught up, at `nextCursor` (what the pull route reports to the pusher). */
const caughtUpAt = (nextCursor: Cursor): PullResponse => ({
  type: 'batch',
  protocolVersion: 1,
  schemaVersion: 'x',
  sourceNodeId: SOURCE,
  changes: [],
  nextCursor,
  hasMore: false,
  remainingChanges: 0,
});

/** Every scheduler setup() made, stopped after each test. */
const schedulers: PullScheduler[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
});

/** A source and a puller in memory; the puller's pulls are counted and reported to the source's pusher, as the
 * pull route does. Pokes go straight to the puller's scheduler, as the poke route does. */
function setup(options: { maxBytes?: number } = {}) {
  const stores = new Map(
    [SOURCE, PULLER].map((id) => [id, new MemoryReplicationStore({ nodeId: id, tables: APP_SHAPED_TABLES })]),
  );
  const source = stores.get(SOURCE)!;
  const puller = stores.get(PULLER)!;
  const network = createInProcessNetwork((id) => stores.get(id));
  let pulls = 0;
  const results: string[] = [];
  const pushes: Push[] = [];
  const transport = network.transportFor(PULLER);
  const replicator = new Replicator({
    store: puller,
    transport: {
      ...transport,
      pull: async (peerId, request) => {
        pulls += 1;
        const answer = await transport.pull(peerId, request);
        pusher.served(PULLER, answer as PullResponse);
        return answer;
      },
    },
  });
  const scheduler = new PullScheduler({ replicator, peerId: SOURCE, fallbackIntervalMs: 0 });
  schedulers.push(scheduler);
  const pusher: ChangePusher = new ChangePusher({
    store: source,
    send: async (_peerId, push) => {
      if (push === null) {
        scheduler.poke();
        return false;
      }
      pushes.push(push);
      return scheduler.offer(push);
    },
    onSent: (_peerId, result) => results.push(result),
    ...options,
  });
  /** The puller's first pull, which tells the pusher where the puller stands; resolves once it is applied. */
  const firstPull = async () => {
    scheduler.poke();
    await until(() => pulls === 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return { source, puller, scheduler, pusher, pulls: () => pulls, results, pushes, firstPull };
}

describe("pushing a commit's changes with the poke", () => {
  it('sends a few new changes along and the peer applies them without pulling', async () => {
    const h = setup();
    await h.firstPull();
    const user = userRow();
    await h.source.insert('users', user);
    h.pusher.localCommit([PULLER]);
    await until(() => h.results.length === 1);
    expect(h.results).toEqual(['pushed']);
    expect(h.puller.visibleRows('users')).toEqual([user]);
    expect(h.pulls()).toBe(1);
    // the next push starts where this one left the peer
    await h.source.insert('users', userRow());
    h.pusher.localCommit([PULLER]);
    await until(() => h.results.length === 2);
    expect(h.results).toEqual(['pushed', 'pushed']);
    expect(h.pushes[1]!.fromCursor).toEqual(h.pushes[0]!.batch.nextCursor);
    expect(h.puller.visibleRows('users')).toHaveLength(2);
    expect(h.pulls()).toBe(1);
  });

  it("sends a commit's row ahead of the log (the peer's cursor stays), then the log's push moves the cursor", async () => {
    const h = setup();
    await h.firstPull();
    const cursor = await h.puller.peerCursor(SOURCE);
    const user = userRow();
    await h.source.insert('users', user);
    // the row as the store reads it at the commit (PostgreSQL: from the capture log): here, as the log has it
    const [row] = ((await h.source.readChanges({ forPeer: PULLER, cursor, limit: 10, forPush: true })) as Push['batch'])
      .changes;
    h.pusher.localCommit([PULLER], row);
    await until(() => h.results.length === 2);
    expect(h.results).toEqual(['row-pushed', 'pushed']);
    expect(h.pushes.map((push) => push.batch.changes)).toEqual([[row], [row]]);
    expect(h.pushes[0]!.fromCursor).toEqual(cursor);
    expect(h.pushes[0]!.batch.nextCursor).toEqual(cursor);
    expect(h.pushes[1]!.fromCursor).toEqual(cursor);
    expect(h.pushes[1]!.batch.nextCursor).not.toEqual(cursor);
    expect(await h.puller.peerCursor(SOURCE)).toEqual(h.pushes[1]!.batch.nextCursor);
    expect(h.puller.visibleRows('users')).toEqual([user]);
    expect(h.pulls()).toBe(1);
  });

  it('sends no row ahead that is too big for a push: the peer pulls it', async () => {
    const h = setup({ maxBytes: 2000 });
    await h.firstPull();
    const cursor = await h.puller.peerCursor(SOURCE);
    const user = userRow({ name: 'n'.repeat(3000) });
    await h.source.insert('users', user);
    const [row] = ((await h.source.readChanges({ forPeer: PULLER, cursor, limit: 10, forPush: true })) as Push['batch'])
      .changes;
    h.pusher.localCommit([PULLER], row);
    await until(() => h.puller.visibleRows('users').length === 1);
    expect(h.results).toEqual(['poked']);
    expect(h.pushes).toEqual([]);
    expect(h.pulls()).toBe(2);
  });

  it('sends no row ahead before it knows where the peer stands, nor while a poke to the peer is in flight', async () => {
    const h = setup();
    const user = userRow();
    await h.source.insert('users', user);
    const [row] = (
      (await h.source.readChanges({ forPeer: PULLER, cursor: null, limit: 10, forPush: true })) as Push['batch']
    ).changes;
    h.pusher.localCommit([PULLER], row);
    await until(() => h.puller.visibleRows('users').length === 1);
    expect(h.results).toEqual(['poked']);
    await until(() => h.pulls() === 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await h.source.insert('users', userRow());
    h.pusher.localCommit([PULLER]);
    h.pusher.localCommit([PULLER], row); // coalesced into the poke after the one in flight, without the row
    await until(() => h.results.length === 3);
    expect(h.results).toEqual(['poked', 'pushed', 'skipped']);
    expect(h.puller.visibleRows('users')).toHaveLength(2);
  });

  it('only pokes before it knows where the peer stands, and the peer pulls', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    h.pusher.localCommit([PULLER]);
    await until(() => h.puller.visibleRows('users').length === 1);
    expect(h.results).toEqual(['poked']);
    expect(h.pulls()).toBe(1);
  });

  it("a push that does not start at the peer's cursor is not applied: the peer pulls instead", async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    h.scheduler.poke();
    await until(() => h.puller.visibleRows('users').length === 1);
    // the pusher believes the peer is elsewhere (say, an answer the peer never applied)
    h.pusher.served(PULLER, caughtUpAt({ xid: '0', seq: '0' }));
    await h.source.insert('users', userRow());
    h.pusher.localCommit([PULLER]);
    await until(() => h.puller.visibleRows('users').length === 2);
    expect(h.pushes).toHaveLength(1); // sent, refused, and the pull brought the row
    expect(h.results).toEqual(['poked']);
    expect(h.pulls()).toBe(2);
  });

  it('pokes without the changes when the peer refuses the push itself (e.g. its body limit)', async () => {
    const h = setup();
    await h.firstPull();
    const sent: (Push | null)[] = [];
    const results: string[] = [];
    const pusher = new ChangePusher({
      store: h.source,
      send: async (_peerId, push) => {
        sent.push(push);
        if (push) throw new Error('HTTP 413');
        h.scheduler.poke();
        return false;
      },
      onSent: (_peerId, result) => results.push(result),
    });
    pusher.served(PULLER, caughtUpAt((await h.puller.peerCursor(SOURCE))!));
    await h.source.insert('users', userRow());
    pusher.localCommit([PULLER]);
    await until(() => h.puller.visibleRows('users').length === 1);
    expect(sent.map((push) => push?.type ?? 'poke')).toEqual(['push', 'poke']);
    expect(results).toEqual(['poked']);
  });

  it("leaves many changes to the peer's pull", async () => {
    const h = setup();
    await h.firstPull();
    for (let i = 0; i <= MAX_PUSH_CHANGES; i++) await h.source.insert('users', userRow());
    h.pusher.localCommit([PULLER]);
    await until(() => h.puller.visibleRows('users').length === MAX_PUSH_CHANGES + 1);
    expect(h.pushes).toHaveLength(0);
    expect(h.results).toEqual(['poked']);
  });

  it('does not poke a peer about changes that came from that peer', async () => {
    const h = setup();
    await h.firstPull();
    await h.puller.insert('users', userRow());
    // the source pulls it from the puller (what its own pull route would apply)
    const batch = await h.puller.readChanges({ forPeer: SOURCE, cursor: null, limit: 10 });
    expect(await h.source.applyBatch(PULLER, batch as never)).toMatchObject({ ok: true, applied: 1 });
    h.pusher.localCommit([PULLER]);
    await until(() => h.results.length === 1);
    expect(h.results).toEqual(['skipped']);
    expect(h.pulls()).toBe(1);
  });

  it('coalesces commits during a poke into one more poke', async () => {
    const h = setup();
    await h.firstPull();
    await h.source.insert('users', userRow());
    for (let i = 0; i < 5; i++) h.pusher.localCommit([PULLER]);
    await until(() => h.results.length >= 1 && h.puller.visibleRows('users').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.results.length).toBeLessThanOrEqual(2);
  });
});

describe('a push offered to the pull scheduler', () => {
  it('is not applied while a pull runs: it counts as a poke, and a pull follows', async () => {
    const h = setup();
    await h.source.insert('users', userRow());
    const push: Push = {
      type: 'push',
      protocolVersion: 1,
      fromCursor: null,
      batch: (await h.source.readChanges({ forPeer: PULLER, cursor: null, limit: 10, forPush: true })) as Push['batch'],
    };
    h.scheduler.poke(); // a pull is running
    expect(await h.scheduler.offer(push)).toBe(false);
    await until(() => h.puller.visibleRows('users').length === 1);
    await until(() => h.pulls() === 2);
  });

  it('a malformed push is refused and reported, and a pull follows', async () => {
    const h = setup();
    const outcomes: string[] = [];
    const scheduler = new PullScheduler({
      replicator: new Replicator({
        store: h.puller,
        transport: {
          pull: async () => {
            throw new Error('down');
          },
          snapshot: async () => undefined,
        },
      }),
      peerId: SOURCE,
      fallbackIntervalMs: 0,
      onOutcome: (outcome) =>
        outcomes.push(outcome.kind === 'applied' ? 'applied' : `${outcome.kind}: ${outcome.message}`),
    });
    expect(
      await scheduler.offer({ type: 'push', protocolVersion: 1, fromCursor: null, batch: { type: 'batch' } }),
    ).toBe(false);
    await until(() => outcomes.length === 2);
    expect(outcomes[0]).toMatch(/^bad-response: push from .* refused: batch\./);
    expect(outcomes[1]).toMatch(/^unreachable/);
    await scheduler.stop();
  });
});
