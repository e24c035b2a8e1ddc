/**
 * Gathers this node's readiness facts (database, migrations, the local sync service's status) and decides with
 * readinessReport. Used by GET /api/ready and by every scrape of the app's metrics (msk_app_ready).
 */
import { appConfig, nodeIdentity } from '../config';
import { pendingMigrationNames, readMigrations } from '../db/migrations';
import { databasePool } from '../db/pool';
import { type ReadinessReport, readinessReport } from './readiness';
import { fetchSyncStatus, syncStatusUrl } from './syncStatusClient';

const DATABASE_CHECK_TIMEOUT_MS = 2_000;

async function databaseError(): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      databasePool().query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${DATABASE_CHECK_TIMEOUT_MS} ms`)),
          DATABASE_CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    clearTimeout(timer);
  }
}

async function pendingMigrations(): Promise<string[] | { error: string }> {
  try {
    return await pendingMigrationNames(databasePool(), await readMigrations());
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Readiness: database reachable, migrations applied, configuration valid, and peers agree on shared secrets. */
export async function evaluateReadiness(): Promise<ReadinessReport> {
  const config = appConfig();
  const [dbError, pending, sync] = await Promise.all([
    databaseError(),
    pendingMigrations(),
    fetchSyncStatus(syncStatusUrl(config.syncBindAddress, config.syncServicePort)),
  ]);
  return readinessReport({ node: nodeIdentity(), databaseError: dbError, pendingMigrations: pending, sync });
}
