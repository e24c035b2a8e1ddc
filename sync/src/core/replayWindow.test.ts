import { ReplayWindow } from './replayWindow';

describe('ReplayWindow', () => {
  it('accepts a nonce once and refuses it the second time', () => {
    const w = new ReplayWindow(1_000, 100);
    expect(w.check('n1', 10_000, 10_000)).toBe('fresh');
    expect(w.check('n1', 10_000, 10_100)).toBe('replayed');
  });

  it('refuses timestamps outside the window, in the past and in the future', () => {
    const w = new ReplayWindow(1_000, 100);
    expect(w.check('old', 8_999, 10_000)).toBe('stale');
    expect(w.check('future', 11_001, 10_000)).toBe('stale');
    expect(w.check('edge', 9_000, 10_000)).toBe('fresh');
  });

  it('forgets nonces once their timestamps can no longer pass, so memory stays bounded by the window', () => {
    const w = new ReplayWindow(1_000, 100);
    w.check('n1', 10_000, 10_000);
    w.check('n2', 10_500, 10_500);
    expect(w.check('n3', 11_600, 11_600)).toBe('fresh');
    expect(w.size).toBe(1);
    expect(w.check('n1', 10_000, 11_600)).toBe('stale');
  });

  it('when full, forgets the oldest nonce and refuses anything not newer than it', () => {
    const w = new ReplayWindow(10_000, 2);
    w.check('a', 1_000, 1_000);
    w.check('b', 1_001, 1_001);
    w.check('c', 1_002, 1_002);
    expect(w.size).toBe(2);
    expect(w.check('a', 1_000, 1_003)).toBe('stale');
    expect(w.check('d', 1_003, 1_003)).toBe('fresh');
  });
});
