import { issue24Rows } from './goals';
import type { Measured } from './goals';
import { goalMet, goalText, summaryLine, summaryTable, table } from './report';

const atMost = (limit: number) => ({ direction: 'at most', limit }) as const;
const atLeast = (limit: number) => ({ direction: 'at least', limit }) as const;

describe('goal verdicts', () => {
  it('a ratio at the limit meets an "at most" goal, one above it does not', () => {
    expect(goalMet({ baseline: 4, engine: 5, goal: atMost(1.25) })).toBe(true);
    expect(goalMet({ baseline: 4, engine: 5.01, goal: atMost(1.25) })).toBe(false);
  });

  it('a rate at the limit meets an "at least" goal, one below it does not', () => {
    expect(goalMet({ baseline: 50_000, engine: 50_000, goal: atLeast(1) })).toBe(true);
    expect(goalMet({ baseline: 50_000, engine: 49_999, goal: atLeast(1) })).toBe(false);
  });

  it('a baseline of zero or a figure that is not a number meets nothing', () => {
    expect(goalMet({ baseline: 0, engine: 0, goal: atMost(2) })).toBe(false);
    expect(goalMet({ baseline: 0, engine: 10, goal: atLeast(1) })).toBe(false);
    expect(goalMet({ baseline: Number.NaN, engine: 1, goal: atMost(2) })).toBe(false);
    expect(goalMet({ baseline: 1, engine: Number.POSITIVE_INFINITY, goal: atLeast(1) })).toBe(false);
  });

  it('writes goals as the issue does', () => {
    expect(goalText(atMost(1.25))).toBe('<= 1.25x');
    expect(goalText(atLeast(1))).toBe('>= 1x');
  });
});

const fullRun: Measured = {
  lagMs: { native: { p50: 1.2, p99: 4 }, engine: { p50: 2.4, p99: 4.8 } },
  sustainedRowsPerS: { native: 50_000, engine: 40_000 },
  burstRowsPerS: { native: 60_000, engine: 60_000 },
  capture: { single: { plain: 6000, captured: 5000 }, bulk: { plain: 160_000, captured: 150_000 } },
  partition: { healMs: 900, burstMs: 500, rowsPerSide: 10_000 },
  fanOutMs: { twoNodes: { p50: 3, p99: 8 }, fiveNodes: { p50: 5, p99: 13 } },
};

describe('issue 24 summary', () => {
  it('has one row per measured goal, in the order of the issue, with its own verdict', () => {
    const rows = issue24Rows(fullRun);
    expect(rows.map((row) => [row.measure, goalMet(row)])).toEqual([
      ['lag p99, write on A to readable on B', true], // 1.2x <= 1.25x
      ['lag p50', false], // 2x > 1.5x
      ['sustained apply (highest paced rate kept up)', false], // 0.8x < 1x
      ['burst: rows until all applied', true], // 1x
      ['capture overhead, single-row inserts', false], // 1.2x > 1.1x
      ['capture overhead, 1000-row inserts', true], // 1.07x
      ['partition healed after 10000 writes on each side', true], // 1.8x <= 2x
      ['5 nodes: write on one, readable on all four others (p99)', false], // 1.63x > 1.5x
    ]);
  });

  it('states capture overhead as the plain insert rate over the captured one', () => {
    const single = issue24Rows(fullRun).find((row) => row.measure === 'capture overhead, single-row inserts')!;
    expect(single.engine / single.baseline).toBeCloseTo(6000 / 5000, 10);
  });

  it('leaves out the parts a run did not measure', () => {
    expect(issue24Rows({})).toEqual([]);
    expect(issue24Rows({ partition: fullRun.partition }).map((row) => row.baselineName)).toEqual([
      'engine applying 20000 rows in a burst',
    ]);
  });

  it('prints baseline, engine, ratio, goal and verdict, and counts the goals met', () => {
    const rows = issue24Rows({ partition: fullRun.partition, fanOutMs: fullRun.fanOutMs });
    const printed = summaryTable(rows);
    expect(printed[0]).toEqual(['measure (issue 24)', 'native / baseline', 'engine', 'ratio', 'goal', 'verdict']);
    expect(printed[1]!.slice(1)).toEqual([
      '500 ms (engine applying 20000 rows in a burst)',
      '900 ms',
      '1.80x',
      '<= 2x',
      'met',
    ]);
    expect(printed[2]!.slice(1)).toEqual(['8.00 ms (2-node p99)', '13.00 ms', '1.63x', '<= 1.5x', 'NOT met']);
    expect(summaryLine(rows)).toBe('met 1 of 2 goals measured in this run');
  });

  it('pads every column to its widest cell', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\nccc  d ');
  });
});
