import { allPeersConnected } from './peerCounts';

describe('allPeersConnected', () => {
  it('is true when each running sync service sees every other running one', () => {
    const counts = new Map([
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
    expect(allPeersConnected(counts, [1, 2, 3])).toBe(true);
  });

  it('is false while one node sees fewer peers, or does not answer', () => {
    expect(
      allPeersConnected(
        new Map([
          [1, 1],
          [2, 0],
        ]),
        [1, 2],
      ),
    ).toBe(false);
    expect(
      allPeersConnected(
        new Map([
          [1, 1],
          [2, undefined],
        ]),
        [1, 2],
      ),
    ).toBe(false);
  });

  it('counts only the nodes whose sync service runs (a stopped node is not waited for)', () => {
    const counts = new Map<number, number | undefined>([
      [1, 1],
      [2, undefined],
      [3, 1],
    ]);
    expect(allPeersConnected(counts, [1, 3])).toBe(true);
  });
});
