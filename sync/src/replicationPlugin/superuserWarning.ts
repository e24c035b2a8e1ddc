/** Least privilege: the sync service should connect as its own role (SYNC_DATABASE_URL), never the superuser. */
import type { Pool } from 'pg';
import type { Logger } from '../service/logger';

export async function warnIfSuperuser(pool: Pool, logger: Logger, database: string): Promise<void> {
  try {
    const { rows } = await pool.query<{ role: string; superuser: boolean }>(
      'SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
    );
    if (rows[0]?.superuser) {
      logger.warn(
        { database, role: rows[0].role },
        'replication connects as a PostgreSQL superuser: an injected statement could run programs on the database server. ' +
          'Fix: create the roles msk_app and msk_sync (docs/architecture.md: Database roles) and set SYNC_DATABASE_URL to connect as msk_sync',
      );
    }
  } catch {
    // only a warning; the status refresh reports a broken connection
  }
}
