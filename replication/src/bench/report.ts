/**
 * The bench's printed tables and the verdicts against issue 24's goals. Pure: numbers in, text out, so the unit
 * tests check the arithmetic of every verdict without running a measure.
 */

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `value / base` as "1.23x" (the engine's figure over its baseline's). */
export const ratio = (value: number, base: number) => fmt(value / base, 2) + 'x';
export const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** Columns padded to their widest cell, two spaces apart. */
export function table(list: readonly (readonly string[])[]): string {
  const widths = list[0]!.map((_, column) => Math.max(...list.map((row) => (row[column] ?? '').length)));
  return list.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
}

/**
 * A goal on the ratio engine / baseline: at most `limit` (times, latencies: smaller is better) or at least
 * `limit` (rates: larger is better).
 */
export interface Goal {
  readonly direction: 'at most' | 'at least';
  readonly limit: number;
}

/** One row of the summary: a measure of issue 24's goal table, its baseline and the engine's figure. */
export interface SummaryRow {
  readonly measure: string;
  readonly baseline: number;
  readonly engine: number;
  /** e.g. 'ms', 'rows/s' */
  readonly unit: string;
  /** What the baseline is (printed beside its figure). */
  readonly baselineName: string;
  readonly goal: Goal;
}

export function goalText(goal: Goal): string {
  return `${goal.direction === 'at most' ? '<=' : '>='} ${goal.limit}x`;
}

/** Whether `engine / baseline` meets the goal; a baseline that is not a positive finite number meets nothing. */
export function goalMet(row: Pick<SummaryRow, 'baseline' | 'engine' | 'goal'>): boolean {
  if (!(row.baseline > 0) || !Number.isFinite(row.baseline) || !Number.isFinite(row.engine)) return false;
  const r = row.engine / row.baseline;
  return row.goal.direction === 'at most' ? r <= row.goal.limit : r >= row.goal.limit;
}

/** Two decimals under 100, whole numbers above (latencies in ms, rates in rows/s). */
const figure = (n: number, unit: string) => `${fmt(n, Math.abs(n) < 100 ? 2 : 0)} ${unit}`;

/** The final table: measure, baseline, engine, ratio, goal, met / NOT met; one row per measure of this run. */
export function summaryTable(rows: readonly SummaryRow[]): string[][] {
  return [
    ['measure (issue 24)', 'native / baseline', 'engine', 'ratio', 'goal', 'verdict'],
    ...rows.map((row) => [
      row.measure,
      `${figure(row.baseline, row.unit)} (${row.baselineName})`,
      figure(row.engine, row.unit),
      row.baseline > 0 ? ratio(row.engine, row.baseline) : 'n/a',
      goalText(row.goal),
      verdict(goalMet(row)),
    ]),
  ];
}

/** "met 5 of 8 goals" */
export function summaryLine(rows: readonly SummaryRow[]): string {
  return `met ${rows.filter(goalMet).length} of ${rows.length} goals measured in this run`;
}
