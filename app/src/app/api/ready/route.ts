import { appConfig, nodeIdentity } from '../../../server/config';
import { pendingMigrationNames, readMigrations } from '../../../server/db/migrations';
import { databasePool } from '../../../server/db/pool';
import { json } from '../../../server/http/apiResponses';
import { currentUser } from '../../../server/auth/session';
import { headerReader, requestOrigin } from '../../../server/http/requestOrigin';
import { publicReadiness, readinessReport } from '../../../server/readiness/readiness';
import { isAdmin } from '../../../server/users/adminCheck';
import { fetchSyncStatus, syncStatusUrl } from '../../../server/readiness/syncStatusClient';

const DATABASE_CHECK_TIMEOUT_MS = 2_000;

async function databaseError(): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      databasePool().query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${DATABASE_CHECK_TIMEOUT_MS} ms`)), DATABASE_CHECK_TIMEOUT_MS);
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

/**
 * Details (node identity, database error, migration names, peers) only for a process on this machine talking to the
 * node directly (probes, `npm start`, an operator's curl) or a signed-in admin; everyone else gets the public answer.
 */
async function mayReadDetails(request: Request): Promise<boolean> {
  if (requestOrigin(headerReader(request.headers), appConfig().trustedProxies).directFromLoopback) return true;
  try {
    const user = await currentUser();
    return user !== undefined && (await isAdmin(user));
  } catch {
    return false; // no database, no admin check: the public answer
  }
}

/** Readiness: database reachable, migrations applied, configuration valid, and peers agree on shared secrets. */
export async function GET(request: Request): Promise<Response> {
  const config = appConfig();
  const [dbError, pending, sync] = await Promise.all([
    databaseError(),
    pendingMigrations(),
    fetchSyncStatus(syncStatusUrl(config.syncBindAddress, config.syncServicePort)),
  ]);
  const report = readinessReport({ node: nodeIdentity(), databaseError: dbError, pendingMigrations: pending, sync });
  if (await mayReadDetails(request)) return json(report.body, report.httpStatus);
  const answer = publicReadiness(report);
  return json(answer.body, answer.httpStatus);
}
