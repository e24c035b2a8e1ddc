/**
 * The load of the throughput measures, in its own thread: in a deployment the application writes from its own
 * processes, so the load generator must not share the event loop of the engine it measures.
 *  - bulk: a fixed number of rows as fast as the connections go;
 *  - paced: rows offered at a fixed rate for a fixed time.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'pg';
import { insertMany } from './benchRows';

interface BulkLoad {
  readonly url: string;
  readonly rows: number;
  readonly chunkRows: number;
  readonly connections: number;
}

interface PacedLoad {
  readonly url: string;
  readonly rowsPerS: number;
  readonly seconds: number;
  readonly chunkRows: number;
  readonly connections: number;
}

type Load = ({ kind: 'bulk' } & BulkLoad) | ({ kind: 'paced' } & PacedLoad);

/** When the first insert started and the last one committed, on the caller's performance.now() scale, and how
 * many rows were committed. */
export interface LoadTimes {
  readonly startedMs: number;
  readonly endedMs: number;
  readonly rows: number;
}

const absoluteNow = () => performance.timeOrigin + performance.now();

function runInWorker(load: Load): Promise<LoadTimes> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: load });
    worker.on('error', reject);
    worker.on('message', (message: { error?: string; startedAt?: number; endedAt?: number; rows?: number }) => {
      if (message.error) reject(new Error(message.error));
      else
        resolve({
          startedMs: message.startedAt! - performance.timeOrigin,
          endedMs: message.endedAt! - performance.timeOrigin,
          rows: message.rows!,
        });
      void worker.terminate();
    });
  });
}

/** Inserts `rows` rows as `chunkRows`-row statements from `connections` connections; resolves when all committed. */
export function bulkLoadInWorker(load: BulkLoad): Promise<LoadTimes> {
  return runInWorker({ kind: 'bulk', ...load });
}

/** Offers `rowsPerS` rows per second as `chunkRows`-row statements from `connections` connections for `seconds`. */
export function pacedLoadInWorker(load: PacedLoad): Promise<LoadTimes> {
  return runInWorker({ kind: 'paced', ...load });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(load: Load): Promise<{ startedAt: number; endedAt: number; rows: number }> {
  const pool = new Pool({ connectionString: load.url, max: load.connections });
  pool.on('error', () => undefined);
  try {
    await Promise.all(Array.from({ length: load.connections }, () => pool.query('SELECT 1'))); // connected before the clock starts
    const startedAt = absoluteNow();
    let rows = 0;
    if (load.kind === 'bulk') {
      const chunks = Math.ceil(load.rows / load.chunkRows);
      let next = 0;
      await Promise.all(
        Array.from({ length: load.connections }, async () => {
          while (next < chunks) {
            next += 1;
            await insertMany(pool, load.chunkRows);
            rows += load.chunkRows;
          }
        }),
      );
    } else {
      const endAt = startedAt + load.seconds * 1000;
      let offered = 0;
      await Promise.all(
        Array.from({ length: load.connections }, async () => {
          for (let at = absoluteNow(); at < endAt; at = absoluteNow()) {
            if (offered + load.chunkRows > ((at - startedAt) / 1000) * load.rowsPerS) {
              await sleep(1);
              continue;
            }
            offered += load.chunkRows;
            await insertMany(pool, load.chunkRows);
            rows += load.chunkRows;
          }
        }),
      );
    }
    return { startedAt, endedAt: absoluteNow(), rows };
  } finally {
    await pool.end();
  }
}

if (!isMainThread) {
  run(workerData as Load).then(
    (times) => parentPort!.postMessage(times),
    (error: unknown) => parentPort!.postMessage({ error: String(error) }),
  );
}
