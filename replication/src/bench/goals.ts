/**
 * Issue 24's goal table, as far as this bench measures it (joining a node and the cross-node session check are
 * measured elsewhere): each measure of a run becomes one summary row with its baseline from the same run.
 */
import type { SummaryRow } from './report';

interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}
interface Versus {
  readonly native: number;
  readonly engine: number;
}

/** What one run measured; a part that did not run is absent. */
export interface Measured {
  readonly lagMs?: { readonly native: Percentiles; readonly engine: Percentiles };
  readonly sustainedRowsPerS?: Versus;
  readonly burstRowsPerS?: Versus;
  /** Insert rates (rows/s) without capture (`plain`) and with it (`captured`). */
  readonly capture?: Record<'single' | 'bulk', { readonly plain: number; readonly captured: number }>;
  readonly partition?: { readonly healMs: number; readonly burstMs: number; readonly rowsPerSide: number };
  readonly fanOutMs?: { readonly twoNodes: Percentiles; readonly fiveNodes: Percentiles };
}

const NATIVE = 'native logical replication';
/** Microseconds per row at a rate: the ratio of two of them is the capture overhead, slower / faster. */
const usPerRow = (rowsPerS: number) => 1e6 / rowsPerS;

export function issue24Rows(m: Measured): SummaryRow[] {
  const rows: SummaryRow[] = [];
  if (m.lagMs) {
    const { native, engine } = m.lagMs;
    rows.push(
      row('lag p99, write on A to readable on B', native.p99, engine.p99, 'ms', NATIVE, 'at most', 1.25),
      row('lag p50', native.p50, engine.p50, 'ms', NATIVE, 'at most', 1.5),
    );
  }
  if (m.sustainedRowsPerS) {
    const { native, engine } = m.sustainedRowsPerS;
    rows.push(row('sustained apply (highest paced rate kept up)', native, engine, 'rows/s', NATIVE, 'at least', 1));
  }
  if (m.burstRowsPerS) {
    const { native, engine } = m.burstRowsPerS;
    rows.push(row('burst: rows until all applied', native, engine, 'rows/s', NATIVE, 'at least', 1));
  }
  if (m.capture) {
    const { single, bulk } = m.capture;
    const name = 'no capture';
    rows.push(
      row(
        'capture overhead, single-row inserts',
        usPerRow(single.plain),
        usPerRow(single.captured),
        'µs/row',
        name,
        'at most',
        1.1,
      ),
      row(
        'capture overhead, 1000-row inserts',
        usPerRow(bulk.plain),
        usPerRow(bulk.captured),
        'µs/row',
        name,
        'at most',
        1.1,
      ),
    );
  }
  if (m.partition) {
    const { healMs, burstMs, rowsPerSide } = m.partition;
    const burst = `engine applying ${2 * rowsPerSide} rows in a burst`;
    rows.push(
      row(`partition healed after ${rowsPerSide} writes on each side`, burstMs, healMs, 'ms', burst, 'at most', 2),
    );
  }
  if (m.fanOutMs) {
    const { twoNodes, fiveNodes } = m.fanOutMs;
    rows.push(
      row(
        '5 nodes: write on one, readable on all four others (p99)',
        twoNodes.p99,
        fiveNodes.p99,
        'ms',
        '2-node p99',
        'at most',
        1.5,
      ),
    );
  }
  return rows;
}

function row(
  measure: string,
  baseline: number,
  engine: number,
  unit: string,
  baselineName: string,
  direction: 'at most' | 'at least',
  limit: number,
): SummaryRow {
  return { measure, baseline, engine, unit, baselineName, goal: { direction, limit } };
}
