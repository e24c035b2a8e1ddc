/**
 * Apply throughput of a pair: a burst (bulk load until the subscriber has every row) and the sustained rate, the
 * pglogical way (the highest rate offered for PACED_SECONDS that the subscriber keeps up with).
 */
import {
  BULK_CHUNK_ROWS,
  BULK_ROWS,
  KEPT_UP_GROWTH,
  PACED_BISECTIONS,
  PACED_SAMPLE_MS,
  PACED_SECONDS,
  PACED_STEP,
  PACED_STEPS,
  WRITER_CONNECTIONS,
} from './benchSettings';
import type { Pair } from './benchPairs';
import { freshStart, waitForCount } from './benchPairs';
import { newestId, now, sleep } from './benchSupport';
import { bulkLoadInWorker, pacedLoadInWorker } from './writerWorker';

/** Bulk load (in a worker thread): BULK_ROWS rows as 1000-row inserts from 4 connections; rows/s until the subscriber has them all. */
export async function measureThroughput(pair: Pair): Promise<{ appliedRowsPerS: number; insertedRowsPerS: number }> {
  await freshStart(pair);
  const { startedMs: startMs, endedMs: insertedMs } = await bulkLoadInWorker({
    url: pair.publisherUrl,
    rows: BULK_ROWS,
    chunkRows: BULK_CHUNK_ROWS,
    connections: WRITER_CONNECTIONS,
  });
  const doneMs = await waitForCount(pair, BULK_ROWS);
  return {
    appliedRowsPerS: BULK_ROWS / ((doneMs - startMs) / 1000),
    insertedRowsPerS: BULK_ROWS / ((insertedMs - startMs) / 1000),
  };
}

/** Milliseconds of the time in a UUID v7 (its first 48 bits). */
const uuidMs = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

/**
 * How far behind the subscriber is, in time: the age of the newest row it has (UUID v7 ids carry the time they
 * were made, and every contender applies in commit order). A backward index scan, where counting rows would scan a
 * table that grows by millions over the paced runs.
 */
async function subscriberLagMs(pair: Pair): Promise<number | null> {
  const id = await newestId(pair.subscriber);
  return id === '' ? null : Math.max(0, Date.now() - uuidMs(id));
}

export interface PacedRun {
  readonly targetRowsPerS: number;
  readonly offeredRowsPerS: number;
  /** Mean lag (ms) over the first half (after the first second) and the second half of the run. */
  readonly lagMsFirstHalf: number;
  readonly lagMsSecondHalf: number;
  readonly catchUpMs: number;
  /** The load was offered at the rate asked, and the lag did not grow (see KEPT_UP_GROWTH). */
  readonly keptUp: boolean;
}

/** Offers `rowsPerS` (1000-row inserts from 4 connections, in a worker thread) for PACED_SECONDS; samples the lag. */
async function measurePaced(pair: Pair, rowsPerS: number): Promise<PacedRun> {
  await freshStart(pair);
  const load = pacedLoadInWorker({
    url: pair.publisherUrl,
    rowsPerS,
    seconds: PACED_SECONDS,
    chunkRows: BULK_CHUNK_ROWS,
    connections: WRITER_CONNECTIONS,
  });
  const samples: { atMs: number; lagMs: number }[] = [];
  let running = true;
  const finished = load.finally(() => (running = false));
  finished.catch(() => undefined);
  while (running) {
    await sleep(PACED_SAMPLE_MS);
    if (!running) break;
    const lagMs = await subscriberLagMs(pair);
    if (lagMs !== null) samples.push({ atMs: now(), lagMs });
  }
  const { rows, startedMs, endedMs } = await finished;
  await waitForCount(pair, rows);
  const catchUpMs = now() - endedMs;
  const halfMs = startedMs + (endedMs - startedMs) / 2;
  const mean = (list: number[]) => (list.length ? list.reduce((a, b) => a + b, 0) / list.length : 0);
  const first = mean(samples.filter((s) => s.atMs >= startedMs + 1000 && s.atMs < halfMs).map((s) => s.lagMs));
  const second = mean(samples.filter((s) => s.atMs >= halfMs).map((s) => s.lagMs));
  const offeredRowsPerS = rows / ((endedMs - startedMs) / 1000);
  return {
    targetRowsPerS: rowsPerS,
    offeredRowsPerS,
    lagMsFirstHalf: first,
    lagMsSecondHalf: second,
    catchUpMs,
    keptUp: offeredRowsPerS >= 0.97 * rowsPerS && second - first <= KEPT_UP_GROWTH * ((endedMs - startedMs) / 2),
  };
}

/**
 * The pglogical method: the highest offered rate the subscriber keeps up with (lag not growing). Starts at the
 * burst's rate and steps up (or down) by PACED_STEP until the verdict changes, then halves the bracket
 * PACED_BISECTIONS times.
 */
export async function measureSustained(
  pair: Pair,
  burstRowsPerS: number,
): Promise<{ runs: PacedRun[]; sustainedRowsPerS: number }> {
  const runs: PacedRun[] = [];
  const paced = async (rate: number) => {
    const run = await measurePaced(pair, rate);
    runs.push(run);
    return run;
  };
  let rate = burstRowsPerS;
  const firstKeptUp = (await paced(rate)).keptUp;
  let keptUpAt = firstKeptUp ? rate : 0;
  let fellBehindAt = firstKeptUp ? Number.POSITIVE_INFINITY : rate;
  const bracketed = () => keptUpAt > 0 && Number.isFinite(fellBehindAt);
  for (let step = 1; step < PACED_STEPS && !bracketed(); step++) {
    rate = firstKeptUp ? rate * PACED_STEP : rate / PACED_STEP;
    if ((await paced(rate)).keptUp) keptUpAt = Math.max(keptUpAt, rate);
    else fellBehindAt = Math.min(fellBehindAt, rate);
  }
  for (let bisection = 0; bisection < PACED_BISECTIONS && bracketed(); bisection++) {
    rate = Math.sqrt(keptUpAt * fellBehindAt);
    if ((await paced(rate)).keptUp) keptUpAt = rate;
    else fellBehindAt = rate;
  }
  const kept = runs.filter((r) => r.keptUp).map((r) => r.offeredRowsPerS);
  return { runs, sustainedRowsPerS: kept.length > 0 ? Math.max(...kept) : 0 };
}
