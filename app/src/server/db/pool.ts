/**
 * The process's one PostgreSQL pool (this node's own database), kept on globalThis because Next.js loads route
 * handlers, pages and instrumentation as separate module graphs.
 */
import { connectionStringWithPassword } from '@msk/contract';
import { Pool, type PoolClient } from 'pg';
import { appConfig } from '../config';
import { log } from '../log';
import { processSingleton } from '../processSingleton';

const MAX_CONNECTIONS = 10;
const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;

export function databasePool(): Pool {
  return processSingleton('msk.app.pool', () => {
    const config = appConfig();
    const pool = new Pool({
      connectionString: connectionStringWithPassword(config.databaseUrl, config.databasePassword),
      max: MAX_CONNECTIONS,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      application_name: `msk-app-${config.syncNodeName}`,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', (error) => log().warn({ err: { message: error.message } }, 'idle database connection failed'));
    return pool;
  });
}

/** Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await databasePool().connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
