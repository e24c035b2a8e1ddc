import { RECONNECT_BACKOFF, backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const middle = () => 0.5;
  it('starts short and doubles up to the cap', () => {
    expect([1, 2, 3, 4, 10, 20].map((n) => backoffDelayMs(RECONNECT_BACKOFF, n, middle))).toEqual([
      100, 200, 400, 800, 5_000, 5_000,
    ]);
  });

  it('spreads by the jitter fraction either way', () => {
    expect(backoffDelayMs(RECONNECT_BACKOFF, 1, () => 0)).toBe(80);
    expect(backoffDelayMs(RECONNECT_BACKOFF, 1, () => 0.999999)).toBe(120);
  });
});
