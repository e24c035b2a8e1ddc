import { ROWS_AHEAD_READ_SPACING_MS, RowsAheadReads, notifiedPosition } from './committedRows';

describe('the capture position a NOTIFY names', () => {
  it('is the payload when it is a positive whole number', () => {
    expect(notifiedPosition('1')).toBe('1');
    expect(notifiedPosition('123456789012345678')).toBe('123456789012345678');
  });

  it.each([
    ['an empty payload (a commit that is not a single-row INSERT)', ''],
    [
      'a row, as capture NOTIFYs carried them before',
      JSON.stringify({ t: 'users', k: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', v: {} }),
    ],
    ['zero', '0'],
    ['a leading zero', '012'],
    ['a negative number', '-5'],
    ['more digits than a bigint holds', '9'.repeat(19)],
    ['digits around other text', '12; DROP TABLE users'],
    ['whitespace', ' 12'],
  ])('is none for %s', (_what, payload) => {
    expect(notifiedPosition(payload)).toBeNull();
  });
});

describe('reads of committed rows', () => {
  /** A read that resolves when the test says so. */
  const pendingRead = () => {
    let resolve!: (rows: string[]) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<string[]>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    return { read: () => promise, resolve, reject };
  };

  it('run one at a time: a hint while one is in flight is dropped', async () => {
    let nowMs = 0;
    const reads = new RowsAheadReads(ROWS_AHEAD_READ_SPACING_MS, () => nowMs);
    const first = pendingRead();
    const started = reads.start(first.read);
    expect(started).not.toBeNull();
    nowMs += 1000;
    expect(reads.start(pendingRead().read)).toBeNull();
    first.resolve(['row']);
    expect(await started).toEqual(['row']);
    expect(reads.start(async () => ['next'])).not.toBeNull();
  });

  it(`start at most once per ${ROWS_AHEAD_READ_SPACING_MS} ms, however many NOTIFYs come`, async () => {
    let nowMs = 0;
    const reads = new RowsAheadReads(ROWS_AHEAD_READ_SPACING_MS, () => nowMs);
    let started = 0;
    for (let step = 0; step < 100; step++) {
      const read = reads.start(async () => []);
      if (read) {
        started += 1;
        await read;
      }
      nowMs += 1;
    }
    expect(started).toBe(100 / ROWS_AHEAD_READ_SPACING_MS);
  });

  it('give no rows when the read fails, and the next one may start', async () => {
    let nowMs = 0;
    const reads = new RowsAheadReads(ROWS_AHEAD_READ_SPACING_MS, () => nowMs);
    const failing = pendingRead();
    const started = reads.start(failing.read);
    failing.reject(new Error('connection lost'));
    expect(await started).toEqual([]);
    nowMs += ROWS_AHEAD_READ_SPACING_MS;
    expect(reads.start(async () => ['row'])).not.toBeNull();
  });
});
