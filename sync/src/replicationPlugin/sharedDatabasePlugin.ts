/**
 * What runs in place of replication when the nodes share one database (DATABASE_TOPOLOGY=shared): no capture, no
 * pulls, no routes; it removes whatever replication left installed on the database (a cluster that ran per-node
 * before) and checks again now and then (a misconfigured per-node node on the same database would install capture
 * again; the topology check reports that node too).
 */
import { Pool } from 'pg';
import { type CaptureRemoval, removeCapture } from '@msk/replication';
import type { StartedPlugin, SyncServiceApi, SyncServicePlugin } from '../service/plugin';
import { connectionStringWithPassword, describeDatabase } from './databaseConnection';
import type { ReplicationOffStatus } from './replicationStatus';

/** How often the shared database is checked for capture installed again. */
export const CAPTURE_CHECK_INTERVAL_MS = 30_000;
/** Retry while the database cannot be reached. */
export const CAPTURE_RETRY_MS = 2_000;

export function sharedDatabasePlugin(): SyncServicePlugin {
  return {
    name: 'shared-database',
    async start(api: SyncServiceApi): Promise<StartedPlugin> {
      const pool = new Pool({
        connectionString: connectionStringWithPassword(api.config.syncDatabaseUrl, api.config.syncDatabasePassword),
        max: 1,
        idleTimeoutMillis: 1_000,
      });
      pool.on('error', () => undefined);
      const database = describeDatabase(api.config.syncDatabaseUrl);
      let lastError: string | null = null;
      let removedAt: string | null = null;
      let removed: CaptureRemoval = { triggers: 0, objects: 0 };
      let checkedAt: string | null = null;
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let running: Promise<void> = Promise.resolve();

      const check = async (): Promise<void> => {
        try {
          const outcome = await removeCapture(pool);
          checkedAt = new Date(api.now()).toISOString();
          lastError = null;
          if (outcome.triggers + outcome.objects > 0) {
            removed = { triggers: removed.triggers + outcome.triggers, objects: removed.objects + outcome.objects };
            removedAt = checkedAt;
            api.logger.info(
              { database, ...outcome },
              'the nodes share one database: removed the capture triggers and replication state left on it',
            );
          }
          schedule(CAPTURE_CHECK_INTERVAL_MS);
        } catch (error) {
          lastError = `cannot check the database for capture: ${error instanceof Error ? error.message : String(error)}`;
          api.logger.warn({ database, error: lastError }, 'shared database: checking for capture failed; retrying');
          schedule(CAPTURE_RETRY_MS);
        }
      };
      const schedule = (ms: number) => {
        if (stopped) return;
        timer = setTimeout(() => void (running = check()), ms);
        timer.unref();
      };

      api.addStatusContributor({
        name: 'replication',
        node: (): ReplicationOffStatus => ({
          state: 'off',
          reason: 'DATABASE_TOPOLOGY=shared: every node reads and writes the one database, nothing to replicate',
          database,
          capture: { checkedAt, removedAt, removedTriggers: removed.triggers, removedObjects: removed.objects },
          lastError,
        }),
      });
      api.logger.info({ database }, 'the nodes share one database: capture and replication are off');
      running = check();
      return {
        stop: async () => {
          stopped = true;
          if (timer) clearTimeout(timer);
          await running.catch(() => undefined);
          await pool.end().catch(() => undefined);
        },
      };
    },
  };
}
