/**
 * What a node does once when its server starts (called from instrumentation.ts register()):
 * 1. validate the environment through the env contract; on any error print every problem to stderr and exit 1,
 *    so a misconfigured node never serves a request;
 * 2. apply the SQL migrations and make the first admin; if the database is not reachable yet, keep retrying in
 *    the background (GET /api/ready says not ready meanwhile) instead of crash-looping.
 */
import { writeSync } from 'node:fs';
import { ConfigurationError, fingerprint, formatProblem } from '@msk/contract';
import { loadAppConfig } from './config';
import { applyMigrations, readMigrations } from './db/migrations';
import { MigrationError } from './db/migrationPlan';
import { databasePool } from './db/pool';
import { log } from './log';
import { ensureFirstAdmin } from './users/firstAdmin';
import { processSingleton } from './processSingleton';

/** Waits between attempts to prepare the database: quick at first, then every 10 s. */
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000];

export function startNode(): Promise<void> {
  return processSingleton('msk.app.started', start);
}

async function start(): Promise<void> {
  let loaded: ReturnType<typeof loadAppConfig>;
  try {
    loaded = loadAppConfig();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      writeSync(2, `${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, warnings } = loaded;
  for (const warning of warnings) log().warn({ variable: warning.variable }, formatProblem(warning));
  log().info(
    {
      node: { id: config.syncNodeId, name: config.syncNodeName },
      nextAuthUrl: config.nextAuthUrl,
      nextAuthSecret: fingerprint(config.nextAuthSecret),
      nextAuthSecretPrevious: config.nextAuthSecretPrevious.map(fingerprint),
    },
    'configuration valid',
  );
  await prepareDatabaseWithRetries();
}

async function prepareDatabase(): Promise<void> {
  const pool = databasePool();
  const applied = await applyMigrations(pool, await readMigrations());
  log().info({ applied }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'database schema up to date');
  const role = await pool.query<{ role: string; superuser: boolean }>(
    'SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
  );
  if (role.rows[0]?.superuser) {
    log().warn(
      { role: role.rows[0].role },
      'the app connects to PostgreSQL as a superuser: an injected statement could run programs on the database server. ' +
        'Fix: connect as the role msk_app (DATABASE_URL; docs/architecture.md: Database roles)',
    );
  }
  const { adminEmail, adminPassword, nextAuthSecret } = loadAppConfig().config;
  const admin = await ensureFirstAdmin(pool, { adminEmail, adminPassword, clusterSecret: nextAuthSecret });
  if (!admin.created) return;
  log().info(
    { email: admin.email, userId: admin.id },
    'created the first admin (the same row on every node of this cluster)',
  );
  if (admin.generatedPassword !== undefined) {
    // Printed once, to stdout only, never logged: the operator copies it and changes it after signing in.
    writeSync(
      1,
      '\n' +
        '  First admin created (ADMIN_PASSWORD was not set; every node of this cluster prints the same password):\n' +
        `    email:    ${admin.email}\n` +
        `    password: ${admin.generatedPassword}\n` +
        '  This password is shown only this once: change it after signing in.\n\n',
    );
  }
}

/** Resolves after the first attempt; later attempts run in the background until one succeeds. */
async function prepareDatabaseWithRetries(): Promise<void> {
  let attempt = 0;
  const tryOnce = async (): Promise<void> => {
    try {
      await prepareDatabase();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof MigrationError) {
        log().fatal({ error: message }, 'the database does not fit this build; not retrying (see GET /api/ready)');
        return;
      }
      const delayMs = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)] as number;
      attempt++;
      log().error({ error: message, retryInMs: delayMs }, 'could not prepare the database');
      setTimeout(() => void tryOnce(), delayMs);
    }
  };
  await tryOnce();
}
