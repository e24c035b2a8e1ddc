/**
 * The deployments' database roles (kit/src/postgres/databaseRoles.ts): the app connects as msk_app, the sync service
 * as msk_sync, neither a superuser. Replication behaves exactly as with the superuser, and neither role can run a
 * program on the server, read its files or reach the other's data.
 */
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { SYNC_ROLE, setUpDatabaseRoles } from '@msk/kit/postgres';
import { APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, NODE_IDS, userRow } from '../testing/appShapedTables';
import { type PostgresNode, asRole, startPostgresCluster, startPostgresNode } from '../testing/postgresNodes';
import { describeReplicationBehaviour } from '../testing/replicationBehaviour';

const ROLES = { app: randomBytes(24).toString('hex'), sync: randomBytes(24).toString('hex') };

describeReplicationBehaviour('PostgreSQL, the app and the store each as their own role', (nodeCount) =>
  startPostgresCluster(nodeCount, { roles: ROLES }),
);

describe('the app and the sync service as their own database roles', () => {
  let node: PostgresNode;
  let sync: Pool;
  /** Entries for a row in the capture log or the change log (the store folds one into the other at any time). */
  const logged = async (id: string) =>
    Number(
      (await sync.query<{ n: string }>(
        'SELECT (SELECT count(*) FROM msk_sync.capture_log WHERE pk = $1) + (SELECT count(*) FROM msk_sync.change_log WHERE pk = $1) AS n',
        [id],
      )).rows[0]?.n,
    );

  beforeAll(async () => {
    node = await startPostgresNode(NODE_IDS[0]!, APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, { roles: ROLES });
    sync = new Pool({ connectionString: asRole(node.database.url, SYNC_ROLE, ROLES.sync), max: 1 });
  });
  afterAll(async () => {
    await sync?.end();
    await node?.close();
  });

  const refusal = async (pool: Pool, sql: string): Promise<string> => {
    try {
      await pool.query(sql);
      return 'accepted';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('connects neither as a superuser', async () => {
    for (const [pool, role] of [[node.app, 'msk_app'], [sync, 'msk_sync']] as const) {
      const { rows } = await pool.query<{ role: string; superuser: boolean }>(
        'SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
      );
      expect(rows[0]).toEqual({ role, superuser: false });
    }
  });

  it('refuses COPY … PROGRAM, server files and new roles to both', async () => {
    for (const pool of [node.app, sync]) {
      expect(await refusal(pool, "COPY (SELECT 1) TO PROGRAM 'true'")).toMatch(/permission denied/);
      expect(await refusal(pool, "SELECT pg_read_file('/etc/passwd')")).toMatch(/permission denied/);
      expect(await refusal(pool, 'CREATE ROLE intruder SUPERUSER')).toMatch(/permission denied/);
      expect(await refusal(pool, 'CREATE DATABASE intruder')).toMatch(/permission denied/);
    }
  });

  it('captures the app\'s writes although the app may not read or write the change log itself', async () => {
    const row = userRow();
    await node.insert('users', row);
    expect(await logged(row.id as string)).toBeGreaterThan(0);
    expect(await refusal(node.app, 'SELECT count(*) FROM msk_sync.change_log')).toMatch(/permission denied/);
    expect(await refusal(node.app, 'DELETE FROM msk_sync.capture_log')).toMatch(/permission denied/);
  });

  it('lets the sync service write the app\'s tables but not drop them or the app\'s schema objects', async () => {
    expect(await refusal(sync, "UPDATE users SET name = 'by sync' WHERE false")).toBe('accepted');
    expect(await refusal(sync, 'DROP TABLE employees')).toMatch(/must be owner/);
    expect(await refusal(sync, 'CREATE TABLE public.intruder (id int)')).toMatch(/permission denied/);
  });

  it('is idempotent: setting up again (every npm start) keeps replication working', async () => {
    const superuser = new Client({ connectionString: node.database.url });
    await superuser.connect();
    try {
      await setUpDatabaseRoles(superuser, ROLES);
    } finally {
      await superuser.end();
    }
    const row = userRow();
    await node.insert('users', row);
    expect(await logged(row.id as string)).toBeGreaterThan(0);
  });
});
