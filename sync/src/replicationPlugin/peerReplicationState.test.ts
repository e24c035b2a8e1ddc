import type { PullOutcome } from '@msk/replication';
import { PeerReplicationState } from './peerReplicationState';

const PEER = '0123456789abcdef';
const applied = (over: Partial<Extract<PullOutcome, { kind: 'applied' }>> = {}): PullOutcome => ({
  peerId: PEER,
  kind: 'applied',
  applied: 3,
  unchanged: 0,
  pending: 0,
  conflicts: [],
  received: 3,
  hasMore: false,
  remainingChanges: 0,
  lagMs: 12,
  durationMs: 4,
  ...over,
});
const unreachable: PullOutcome = { peerId: PEER, kind: 'unreachable', message: 'peer is gone', durationMs: 1 };

describe('replication state of one peer', () => {
  it('has no lag figures before the first pull', () => {
    expect(new PeerReplicationState(1000).lag(2000)).toEqual({ changes: null, ms: null });
  });

  it('shows no lag after a pull that caught up, and keeps the last batch', () => {
    const state = new PeerReplicationState(0);
    state.record(applied(), 1000);
    expect(state.lag(5000)).toEqual({ changes: 0, ms: 0 });
    expect(state.batch()).toMatchObject({
      kind: 'applied',
      received: 3,
      applied: 3,
      deliveryLagMs: 12,
      at: new Date(1000).toISOString(),
    });
  });

  it('counts the changes still waiting and the time since it was last caught up', () => {
    const state = new PeerReplicationState(0);
    state.record(applied(), 1000);
    state.record(applied({ hasMore: true, remainingChanges: 4000 }), 2000);
    expect(state.lag(3500)).toEqual({ changes: 4000, ms: 2500 });
  });

  it('backs off from a peer that is still starting but does not count it as an error', () => {
    const state = new PeerReplicationState(0);
    state.record(
      { peerId: PEER, kind: 'peer-not-ready', message: 'replication on node-2 is waiting-for-schema', durationMs: 1 },
      1000,
    );
    expect(state.consecutiveFailures).toBe(1);
    expect(state.failures).toBe(0);
  });

  it('counts failures in a row and reports the failure as the last batch', () => {
    const state = new PeerReplicationState(0);
    state.record(unreachable, 100);
    state.record(unreachable, 200);
    expect(state.consecutiveFailures).toBe(2);
    expect(state.batch()).toMatchObject({ kind: 'unreachable', message: 'peer is gone' });
    expect(state.lag(1200)).toEqual({ changes: null, ms: 1200 });
    state.record(applied(), 300);
    expect(state.consecutiveFailures).toBe(0);
    expect(state.failures).toBe(2);
  });
});
