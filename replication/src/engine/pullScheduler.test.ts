import type { Replicator } from './replicator';
import { PullScheduler } from './pullScheduler';

function fakeReplicator(pullMs: number) {
  let pulls = 0;
  const replicator = {
    async catchUp() {
      pulls += 1;
      await new Promise((resolve) => setTimeout(resolve, pullMs));
      return {
        batches: 1,
        applied: 0,
        last: {
          peerId: 'p',
          kind: 'applied',
          applied: 0,
          unchanged: 0,
          pending: 0,
          conflicts: [],
          received: 0,
          hasMore: false,
          remainingChanges: 0,
          lagMs: null,
          durationMs: pullMs,
        },
      };
    },
  } as unknown as Replicator;
  return { replicator, pulls: () => pulls };
}

describe('the pull scheduler', () => {
  it('pulls at once when poked', async () => {
    const fake = fakeReplicator(1);
    const scheduler = new PullScheduler({ replicator: fake.replicator, peerId: 'p', fallbackIntervalMs: 0 });
    scheduler.poke();
    await scheduler.stop();
    expect(fake.pulls()).toBe(1);
  });

  it('coalesces pokes that arrive during a pull into one more pull', async () => {
    const fake = fakeReplicator(20);
    const scheduler = new PullScheduler({ replicator: fake.replicator, peerId: 'p', fallbackIntervalMs: 0 });
    scheduler.poke();
    for (let i = 0; i < 10; i++) scheduler.poke();
    await new Promise((resolve) => setTimeout(resolve, 80));
    await scheduler.stop();
    expect(fake.pulls()).toBe(2);
  });

  it('reports a pull that threw and keeps going', async () => {
    const errors: unknown[] = [];
    const replicator = {
      catchUp: async () => {
        throw new Error('database down');
      },
    } as unknown as Replicator;
    const scheduler = new PullScheduler({
      replicator,
      peerId: 'p',
      fallbackIntervalMs: 0,
      onError: (error) => errors.push(error),
    });
    scheduler.poke();
    await new Promise((resolve) => setTimeout(resolve, 10));
    scheduler.poke();
    await scheduler.stop();
    expect(errors).toHaveLength(2);
  });
});
