import { allEqual, waitForEqualHashes } from './convergence';

/** A fake clock that each reading advances by `readMs`, and a sleep that advances it by the pause. */
function scripted(readings: string[][], readMs = 10) {
  let clockMs = 0;
  let next = 0;
  return {
    now: () => clockMs,
    sleep: async (ms: number) => {
      clockMs += ms;
    },
    readHashes: async () => {
      clockMs += readMs;
      return readings[Math.min(next++, readings.length - 1)]!;
    },
  };
}

describe('hash-converged detector', () => {
  it('equal means every node has the same hash, and there is at least one', () => {
    expect(allEqual(['h1', 'h1', 'h1'])).toBe(true);
    expect(allEqual(['h1', 'h2'])).toBe(false);
    expect(allEqual([])).toBe(false);
  });

  it('resolves with the start of the first check that found the nodes equal', async () => {
    const fake = scripted([
      ['rows: 10', 'rows: 7'],
      ['h1', 'h2'],
      ['h3', 'h3'],
      ['h4', 'h5'],
    ]);
    const result = await waitForEqualHashes({ ...fake, intervalMs: 20, timeoutMs: 1000 });
    // checks start at 0, 30 and 60 ms (10 ms a reading, 20 ms apart)
    expect(result).toEqual({ convergedAtMs: 60, checks: 3 });
  });

  it('keeps checking through differing row counts and differing hashes', async () => {
    const fake = scripted([
      ['rows: 5', 'rows: 6'],
      ['a', 'b'],
      ['c', 'c'],
    ]);
    expect((await waitForEqualHashes({ ...fake, intervalMs: 1, timeoutMs: 1000 })).checks).toBe(3);
  });

  it('gives up after the timeout, naming the checks and the last readings', async () => {
    const fake = scripted([['0123456789abcdef-long-hash', 'fedcba9876543210-long-hash']]);
    await expect(waitForEqualHashes({ ...fake, intervalMs: 40, timeoutMs: 100 })).rejects.toThrow(
      'the nodes did not converge within 100 ms (3 checks; last readings: 0123456789abcdef, fedcba9876543210)',
    );
  });
});
