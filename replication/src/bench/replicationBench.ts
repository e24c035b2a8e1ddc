/**
 * Replication benchmark: this engine vs PostgreSQL's native logical replication, between the SAME two embedded
 * PostgreSQL instances (wal_level=logical), in the same run, on the app's users table:
 *   1. single-change lag p50/p99 (insert on the publisher until the row is visible on the subscriber, detected by
 *      the same NOTIFY trigger on both subscribers)
 *   2. sustained apply throughput, the pglogical way: the highest rate offered for PACED_SECONDS that the
 *      subscriber keeps up with (its lag does not grow); the search starts at the rate of a burst (bulk load until
 *      the subscriber has every row), which is also printed
 *   3. capture overhead: insert throughput without vs with the capture triggers (single-row and 1000-row inserts)
 *   4. partition healed: two engine nodes write on both sides while cut off, then heal, until equal table hashes;
 *      baseline: the same rows written on one side, healed (one burst)
 *   5. fan-out: a write on one node of five until readable on all four others, vs the same on two nodes
 * then a summary of issue 24's goals against the baselines of the same run.
 * The engine's transport here is in-process (LISTEN/NOTIFY on commit -> pull now); the HTTP channel is not used.
 * Prints tables of ratios; asserts nothing.
 *
 * Run: npx tsc -b replication/tsconfig.test.json && node replication/dist/bench/replicationBench.js [--quick]
 *   [--lag-only | --capture-only | --partition-only | --fan-out-only]
 * (each --*-only flag runs that part alone, a minute or two each; the full run takes many minutes.)
 */
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pair } from './benchPairs';
import { enginePair, measureLag, nativePair } from './benchPairs';
import {
  BULK_CHUNK_ROWS,
  BULK_ROWS,
  CAPTURE_ONLY,
  CAPTURE_ROUND_MS,
  CAPTURE_ROUNDS,
  ENGINE_PULL_LIMIT,
  FAN_OUT_NODES,
  FAN_OUT_ONLY,
  FAN_OUT_SAMPLES,
  KEPT_UP_GROWTH,
  LAG_ONLY,
  LAG_SAMPLES,
  LAG_SPACING_MS,
  PACED_BISECTIONS,
  PACED_SECONDS,
  PACED_STEP,
  PACED_STEPS,
  PARTITION_ONLY,
  PARTITION_ROUNDS,
  PARTITION_ROWS_PER_SIDE,
  PARTITION_SHARED_ROWS,
  POLL_INTERVAL_MS,
  QUICK,
  SERVER_HOSTS,
  WRITER_CONNECTIONS,
} from './benchSettings';
import type { StartedPostgres } from './benchSupport';
import { loadEmbeddedPostgres, percentile, sleep } from './benchSupport';
import type { CaptureOverhead } from './captureOverhead';
import { captureTable, measureCaptureOverhead } from './captureOverhead';
import { measureFanOut } from './fanOut';
import type { Measured } from './goals';
import { issue24Rows } from './goals';
import { measurePartitionHeal } from './partitionHeal';
import { fmt, ratio, summaryLine, summaryTable, table, verdict } from './report';
import { measureSustained, measureThroughput } from './throughput';

const say = (text: string) => process.stdout.write(text);
const load = () =>
  `load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`;

/** The embedded PostgreSQL instances of this run, started as the parts need them, stopped at the end. */
class Servers {
  readonly list: StartedPostgres[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'msk-repl-bench-'));
  constructor() {
    chmodSync(this.dir, 0o755);
  }

  async atLeast(count: number): Promise<StartedPostgres[]> {
    const { startEmbeddedPostgres } = loadEmbeddedPostgres();
    const settings = {
      wal_level: 'logical',
      max_wal_senders: '10',
      max_replication_slots: '10',
      max_connections: '100',
    };
    while (this.list.length < count) {
      const host = SERVER_HOSTS[this.list.length]!;
      say(`starting PostgreSQL on ${host} (wal_level=logical) ...\n`);
      this.list.push(await startEmbeddedPostgres({ dataDir: join(this.dir, host), host, password: 'bench', settings }));
    }
    return this.list.slice(0, count);
  }

  async stop(): Promise<void> {
    for (const server of [...this.list].reverse()) await server.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function printCapture(capture: CaptureOverhead): Measured['capture'] {
  say('\n' + table(captureTable(capture)) + '\n');
  return {
    single: { plain: capture.single.plain, captured: capture.single.captured },
    bulk: { plain: capture.bulk.plain, captured: capture.bulk.captured },
  };
}

async function runCapture(servers: Servers): Promise<Measured['capture']> {
  say(`capture overhead: ${CAPTURE_ROUNDS} alternating rounds of ${CAPTURE_ROUND_MS} ms per side (${load()}) ...\n`);
  const [a] = await servers.atLeast(2);
  return printCapture(await measureCaptureOverhead(a!));
}

async function runPartition(servers: Servers): Promise<Measured['partition']> {
  say(
    `partition healed: ${fmt(PARTITION_ROWS_PER_SIDE)} rows written on each side while cut off, ${fmt(PARTITION_SHARED_ROWS)} shared rows updated on both, ` +
      `vs ${fmt(2 * PARTITION_ROWS_PER_SIDE)} rows written on one side; ${PARTITION_ROUNDS} round(s) (${load()}) ...\n`,
  );
  const rounds = await measurePartitionHeal(await servers.atLeast(2));
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  const healMs = mean(rounds.map((r) => r.healMs));
  const burstMs = mean(rounds.map((r) => r.burstMs));
  say(
    '\n' +
      table([
        ['partition (mean of rounds)', 'one-way burst (baseline)', 'partition healed', 'ratio', 'goal'],
        [
          'until equal table hashes (ms)',
          fmt(burstMs),
          fmt(healMs),
          ratio(healMs, burstMs),
          `<= 2x: ${verdict(healMs <= 2 * burstMs)}`,
        ],
      ]) +
      '\n',
  );
  return { healMs, burstMs, rowsPerSide: PARTITION_ROWS_PER_SIDE };
}

async function runFanOut(servers: Servers): Promise<Measured['fanOutMs']> {
  const all = await servers.atLeast(FAN_OUT_NODES);
  say(
    `fan-out: ${FAN_OUT_SAMPLES} samples each on a 2-node and a ${FAN_OUT_NODES}-node mesh, interleaved (${load()}) ...\n`,
  );
  const lag = await measureFanOut(all);
  const p = (list: number[]) => ({ p50: percentile(list, 50), p99: percentile(list, 99) });
  const two = p(lag.twoNodesMs);
  const five = p(lag.fiveNodesMs);
  say(
    '\n' +
      table([
        [
          'fan-out (write on node 1)',
          '2 nodes: on the other',
          `${FAN_OUT_NODES} nodes: on all ${FAN_OUT_NODES - 1} others`,
          'ratio',
          'goal',
        ],
        ['lag p50 (ms)', fmt(two.p50, 2), fmt(five.p50, 2), ratio(five.p50, two.p50), ''],
        [
          'lag p99 (ms)',
          fmt(two.p99, 2),
          fmt(five.p99, 2),
          ratio(five.p99, two.p99),
          `<= 1.5x: ${verdict(five.p99 <= 1.5 * two.p99)}`,
        ],
      ]) +
      '\n',
  );
  if (lag.errors.length > 0) say(`fan-out pull errors: ${lag.errors.slice(0, 3).join(' | ')}\n`);
  return { twoNodes: two, fiveNodes: five };
}

/** Parts 1-3: the two-node pairs (native, engine with NOTIFY poke, engine polling). */
async function runPairs(servers: Servers, pairs: Pair[]): Promise<Measured> {
  const [a, b] = (await servers.atLeast(2)) as [StartedPostgres, StartedPostgres];
  const native = await nativePair(a, b);
  pairs.push(native);
  const engineNotify = await enginePair(a, b, { mode: 'notify' });
  pairs.push(engineNotify);
  const enginePoll = await enginePair(a, b, { mode: 'poll', pollIntervalMs: POLL_INTERVAL_MS });
  pairs.push(enginePoll);
  const contenders = [native, engineNotify, enginePoll];

  // one contender at a time: the others' engines stop watching their publisher (a poll engine's polling would
  // load the machine under everyone's samples)
  let active: Pair | undefined;
  const activate = async (pair: Pair | undefined) => {
    if (pair === active) return;
    for (const other of contenders) if (other !== pair) await other.setActive(false);
    await pair?.setActive(true);
    active = pair;
  };
  say(`single-change lag: ${LAG_SAMPLES} samples each, interleaved (${load()}) ...\n`);
  for (const pair of contenders) {
    await activate(pair);
    for (let i = 0; i < 20; i++) await measureLag(pair); // warm-up
  }
  const lag = contenders.map(() => [] as number[]);
  for (let i = 0; i < LAG_SAMPLES; i++) {
    for (const [index, pair] of contenders.entries()) {
      await activate(pair);
      lag[index]!.push(await measureLag(pair));
      await sleep(LAG_SPACING_MS);
    }
  }

  const p = (index: number, q: number) => percentile(lag[index]!, q);
  const lagMs = {
    native: { p50: p(0, 50), p99: p(0, 99) },
    engine: { p50: p(1, 50), p99: p(1, 99) },
  };
  const lagRows: string[][] = [
    [
      'lag p50 (ms)',
      fmt(p(0, 50), 2),
      fmt(p(1, 50), 2),
      fmt(p(2, 50), 2),
      `${ratio(p(1, 50), p(0, 50))}, ${ratio(p(2, 50), p(0, 50))}`,
      '',
    ],
    [
      'lag p99 (ms)',
      fmt(p(0, 99), 2),
      fmt(p(1, 99), 2),
      fmt(p(2, 99), 2),
      `${ratio(p(1, 99), p(0, 99))}, ${ratio(p(2, 99), p(0, 99))}`,
      `<= 2x: ${verdict(p(1, 99) <= 2 * p(0, 99))}, ${verdict(p(2, 99) <= 2 * p(0, 99))}`,
    ],
  ];
  const header = ['measure', native.name, engineNotify.name, enginePoll.name, 'ratios (notify, poll)', 'target'];
  if (LAG_ONLY) {
    say('\n' + table([header, ...lagRows]) + '\n\n--lag-only: lag alone (no throughput or capture runs).\n');
    return { lagMs };
  }

  // the arrival trigger is the lag probe only: throughput is measured by counting rows, without a NOTIFY per row
  for (const pair of contenders) await pair.subscriber.query('ALTER TABLE users DISABLE TRIGGER bench_arrival');
  say(
    `sustained throughput: ${fmt(BULK_ROWS)} rows as ${BULK_CHUNK_ROWS}-row inserts from ${WRITER_CONNECTIONS} connections (${load()}) ...\n`,
  );
  const bulk: { appliedRowsPerS: number; insertedRowsPerS: number }[] = [];
  for (const pair of contenders) {
    await activate(pair);
    bulk.push(await measureThroughput(pair));
  }
  say(
    `sustained throughput (paced): ${PACED_SECONDS} s runs from each one's burst rate, stepping by ${PACED_STEP}x until the verdict changes (at most ${PACED_STEPS} runs), then ${PACED_BISECTIONS} bisection(s) ...\n`,
  );
  const sustained: Awaited<ReturnType<typeof measureSustained>>[] = [];
  for (const [index, pair] of contenders.entries()) {
    await activate(pair);
    const result = await measureSustained(pair, bulk[index]!.appliedRowsPerS);
    sustained.push(result);
    for (const run of result.runs) {
      say(
        `  ${pair.name}: offered ${fmt(run.offeredRowsPerS)} rows/s (asked ${fmt(run.targetRowsPerS)}), mean lag ${fmt(run.lagMsFirstHalf)} -> ${fmt(run.lagMsSecondHalf)} ms, ` +
          `caught up ${fmt(run.catchUpMs)} ms after the load stopped: ${run.keptUp ? 'kept up' : 'fell behind'}\n`,
      );
    }
  }
  await activate(undefined);
  const rows: string[][] = [
    header,
    ...lagRows,
    [
      'sustained: highest paced rate kept up (rows/s)',
      ...sustained.map((r) => fmt(r.sustainedRowsPerS)),
      `${ratio(sustained[1]!.sustainedRowsPerS, sustained[0]!.sustainedRowsPerS)}, ${ratio(sustained[2]!.sustainedRowsPerS, sustained[0]!.sustainedRowsPerS)}`,
      `>= 0.5x and > 10,000: ${[1, 2].map((i) => verdict(sustained[i]!.sustainedRowsPerS >= 0.5 * sustained[0]!.sustainedRowsPerS && sustained[i]!.sustainedRowsPerS > 10_000)).join(', ')}`,
    ],
    [
      '  paced runs kept up / run',
      ...sustained.map((r) => `${r.runs.filter((run) => run.keptUp).length} / ${r.runs.length}`),
      '',
      '',
    ],
    [
      `burst: ${fmt(BULK_ROWS)} rows, until all applied (rows/s)`,
      ...bulk.map((b) => fmt(b.appliedRowsPerS)),
      `${ratio(bulk[1]!.appliedRowsPerS, bulk[0]!.appliedRowsPerS)}, ${ratio(bulk[2]!.appliedRowsPerS, bulk[0]!.appliedRowsPerS)}`,
      '',
    ],
    ['  publisher insert rate (rows/s)', ...bulk.map((b) => fmt(b.insertedRowsPerS)), '', ''],
  ];
  say('\n' + table(rows) + '\n');
  say(
    `\nengine: the publisher's side in a worker thread (JSON text both ways + validation, no HTTP), the subscriber's in the main thread; bulk and paced loads from another worker thread; the poke is LISTEN/NOTIFY on the publisher's commit, ` +
      `or polling the log head every ${POLL_INTERVAL_MS} ms; pull limit ${ENGINE_PULL_LIMIT}.` +
      `\nall subscribers detect arrival with the same row trigger (NOTIFY), switched off for the throughput runs, which start from empty tables and a checkpoint; ` +
      `a paced run keeps up when its mean lag (age of the subscriber's newest row) grew by at most ${KEPT_UP_GROWTH * 100}% of a half's duration from its first half to its second. ` +
      `Each contender is measured while the others' engines stop watching their publisher. ${QUICK ? 'QUICK run: fewer samples.' : ''}\n\n`,
  );
  for (const engine of [engineNotify, enginePoll]) {
    if (engine.schedulerErrors.length > 0)
      say(`${engine.name} pull errors: ${engine.schedulerErrors.slice(0, 3).join(' | ')}\n`);
  }
  return {
    lagMs,
    sustainedRowsPerS: { native: sustained[0]!.sustainedRowsPerS, engine: sustained[1]!.sustainedRowsPerS },
    burstRowsPerS: { native: bulk[0]!.appliedRowsPerS, engine: bulk[1]!.appliedRowsPerS },
  };
}

async function main(): Promise<void> {
  const servers = new Servers();
  const pairs: Pair[] = [];
  // Ctrl-C: stop the PostgreSQL instances this run started (their postmasters would outlive the process)
  const interrupted = () => {
    say('\ninterrupted: stopping the PostgreSQL instances ...\n');
    void servers.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  say(`replication bench${QUICK ? ' (--quick)' : ''}: ${load()}\n`);
  let measured: Measured = {};
  try {
    if (CAPTURE_ONLY) measured = { capture: await runCapture(servers) };
    else if (PARTITION_ONLY) measured = { partition: await runPartition(servers) };
    else if (FAN_OUT_ONLY) measured = { fanOutMs: await runFanOut(servers) };
    else {
      measured = await runPairs(servers, pairs);
      if (!LAG_ONLY) {
        measured = { ...measured, capture: await runCapture(servers) };
        measured = { ...measured, partition: await runPartition(servers) };
        measured = { ...measured, fanOutMs: await runFanOut(servers) };
      }
    }
    const summary = issue24Rows(measured);
    say(`\nissue 24 goals, engine (NOTIFY poke) vs the baselines of this run (${load()}):\n`);
    say(
      table(summaryTable(summary)) + '\n' + summaryLine(summary) + (QUICK ? ' (QUICK run: fewer samples)' : '') + '\n',
    );
  } finally {
    for (const pair of pairs.reverse())
      await pair.stop().catch((error) => process.stderr.write(`stop: ${String(error)}\n`));
    await servers.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
