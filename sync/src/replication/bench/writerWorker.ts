/**
 * The bulk load of the sustained-throughput measure, in its own thread: in a deployment the application writes
 * from its own processes, so the load generator must not share the event loop of the engine it measures.
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

/** When the first insert started and the last one committed, on the caller's performance.now() scale. */
export interface BulkLoadTimes {
  readonly startedMs: number;
  readonly endedMs: number;
}

const absoluteNow = () => performance.timeOrigin + performance.now();

/** Inserts `rows` rows as `chunkRows`-row statements from `connections` connections; resolves when all committed. */
export function bulkLoadInWorker(load: BulkLoad): Promise<BulkLoadTimes> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: load });
    worker.on('error', reject);
    worker.on('message', (message: { error?: string; startedAt?: number; endedAt?: number }) => {
      if (message.error) reject(new Error(message.error));
      else resolve({ startedMs: message.startedAt! - performance.timeOrigin, endedMs: message.endedAt! - performance.timeOrigin });
      void worker.terminate();
    });
  });
}

async function load({ url, rows, chunkRows, connections }: BulkLoad): Promise<{ startedAt: number; endedAt: number }> {
  const pool = new Pool({ connectionString: url, max: connections });
  pool.on('error', () => undefined);
  try {
    await Promise.all(Array.from({ length: connections }, () => pool.query('SELECT 1'))); // connected before the clock starts
    const startedAt = absoluteNow();
    const chunks = Math.ceil(rows / chunkRows);
    let next = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < chunks) {
          next += 1;
          await insertMany(pool, chunkRows);
        }
      }),
    );
    return { startedAt, endedAt: absoluteNow() };
  } finally {
    await pool.end();
  }
}

if (!isMainThread) {
  load(workerData as BulkLoad).then(
    (times) => parentPort!.postMessage(times),
    (error: unknown) => parentPort!.postMessage({ error: String(error) }),
  );
}
