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
import { type TestDatabase, createTestDatabase } from '../testing/testDatabase';
import { describeReplicationBehaviour } from '../testing/replicationBehaviour';
import { removeCapture } from './removeCapture';

// Roles belong to the whole test server: only this file (its tests run one after another) sets them up.
const ROLES = { app: randomBytes(24).toString('hex'), sync: randomBytes(24).toString('hex') };

describeReplicationBehaviour('PostgreSQL, the app and the store each as their own role', (nodeCount) =>
  startPostgresCluster(nodeCount, { roles: ROLES }),
);

/** What PostgreSQL says when it refuses `sql` on `pool`, or 'accepted'. */
async function refusal(pool: Pool, sql: string): Promise<string> {
  try {
    await pool.query(sql);
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the app and the sync service as their own database roles', () => {
  let node: PostgresNode;
  let sync: Pool;
  /** Entries for a row in the capture log or the change log (the store folds one into the other at any time). */
  const logged = async (id: string) =>
    Number(
      (
        await sync.query<{ n: string }>(
          'SELECT (SELECT count(*) FROM msk_sync.capture_log WHERE pk = $1) + (SELECT count(*) FROM msk_sync.change_log WHERE pk = $1) AS n',
          [id],
        )
      ).rows[0]?.n,
    );

  beforeAll(async () => {
    node = await startPostgresNode(NODE_IDS[0]!, APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, { roles: ROLES });
    sync = new Pool({ connectionString: asRole(node.database.url, SYNC_ROLE, ROLES.sync), max: 1 });
  });
  afterAll(async () => {
    await sync?.end();
    await node?.close();
  });

  it('connects neither as a superuser', async () => {
    for (const [pool, role] of [
      [node.app, 'msk_app'],
      [sync, 'msk_sync'],
    ] as const) {
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

  it("captures the app's writes although the app may not read or write the change log itself", async () => {
    const row = userRow();
    await node.insert('users', row);
    expect(await logged(row.id as string)).toBeGreaterThan(0);
    expect(await refusal(node.app, 'SELECT count(*) FROM msk_sync.change_log')).toMatch(/permission denied/);
    expect(await refusal(node.app, 'DELETE FROM msk_sync.capture_log')).toMatch(/permission denied/);
  });

  it("lets the sync service write the app's tables but not drop them or the app's schema objects", async () => {
    expect(await refusal(sync, "UPDATE users SET name = 'by sync' WHERE false")).toBe('accepted');
    expect(await refusal(sync, 'DROP TABLE employees')).toMatch(/must be owner/);
    expect(await refusal(sync, 'CREATE TABLE public.intruder (id int)')).toMatch(/permission denied/);
  });

  it('lets the sync service record and clear a joining load in progress (msk_sync.initial_load); the app may not read it', async () => {
    await node.store.recordInitialLoadInProgress(NODE_IDS[1]!, '812');
    expect(await node.store.initialLoadInProgress()).toMatchObject({ peerId: NODE_IDS[1], fence: '812' });
    expect(await refusal(node.app, 'SELECT * FROM msk_sync.initial_load')).toMatch(/permission denied/);
    await node.store.clearInitialLoadInProgress();
    expect(await node.store.initialLoadInProgress()).toBeNull();
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

describe('the database roles setup (kit/src/postgres/databaseRoles.ts) on a database an earlier release made', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('roles');
  });
  afterAll(async () => {
    await database?.drop();
  });
  const withClient = async <T>(url: string, run: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  };

  it('moves what an earlier release made as the superuser to msk_app (app tables) and msk_sync (its schema)', async () => {
    await withClient(database.url, async (superuser) => {
      await superuser.query(`
        CREATE TABLE public.legacy_users (id uuid PRIMARY KEY, email text);
        CREATE SCHEMA msk_sync;
        CREATE SEQUENCE msk_sync.position_seq;
        CREATE TABLE msk_sync.change_log (pk uuid PRIMARY KEY);
        CREATE FUNCTION msk_sync.capture__legacy_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;`);
      await setUpDatabaseRoles(superuser, ROLES);
      const owners = await superuser.query<{ object: string; owner: string }>(`
        SELECT c.oid::regclass::text AS object, c.relowner::regrole::text AS owner FROM pg_class c
          WHERE c.oid IN ('public.legacy_users'::regclass, 'msk_sync.position_seq'::regclass, 'msk_sync.change_log'::regclass)
        UNION ALL SELECT 'msk_sync.capture__legacy_users()', proowner::regrole::text FROM pg_proc WHERE proname = 'capture__legacy_users'
        UNION ALL SELECT 'schema msk_sync', nspowner::regrole::text FROM pg_namespace WHERE nspname = 'msk_sync'
        ORDER BY 1`);
      expect(owners.rows).toEqual([
        { object: 'legacy_users', owner: 'msk_app' },
        { object: 'msk_sync.capture__legacy_users()', owner: 'msk_sync' },
        { object: 'msk_sync.change_log', owner: 'msk_sync' },
        { object: 'msk_sync.position_seq', owner: 'msk_sync' },
        { object: 'schema msk_sync', owner: 'msk_sync' },
      ]);
    });
    // the sync service may change and put triggers on the app's table, the app may not read the sync schema
    await withClient(asRole(database.url, 'msk_sync', ROLES.sync), (sync) =>
      sync.query(
        'CREATE OR REPLACE TRIGGER probe AFTER INSERT ON public.legacy_users FOR EACH STATEMENT EXECUTE FUNCTION msk_sync.capture__legacy_users()',
      ),
    );
    await expect(
      withClient(asRole(database.url, 'msk_app', ROLES.app), (app) => app.query('SELECT * FROM msk_sync.change_log')),
    ).rejects.toThrow(/permission denied/);
  });

  it('refuses passwords shorter than 16 characters, naming the variables', async () => {
    await withClient(database.url, async (superuser) => {
      await expect(setUpDatabaseRoles(superuser, { app: 'short', sync: ROLES.sync })).rejects.toThrow(
        /DATABASE_PASSWORD and SYNC_DATABASE_PASSWORD must each have at least 16 characters/,
      );
    });
  });

  it('keeps other roles out of the database: only msk_app and msk_sync (and superusers) may connect', async () => {
    await withClient(database.url, async (superuser) => {
      await superuser.query(
        "DROP ROLE IF EXISTS msk_roles_probe; CREATE ROLE msk_roles_probe LOGIN PASSWORD 'probe-password-0123456789'",
      );
    });
    try {
      await expect(
        withClient(asRole(database.url, 'msk_roles_probe', 'probe-password-0123456789'), (client) =>
          client.query('SELECT 1'),
        ),
      ).rejects.toThrow(/permission denied for database/);
    } finally {
      await withClient(database.url, (superuser) => superuser.query('DROP ROLE msk_roles_probe'));
    }
  });
});

describe('a database the nodes share (DATABASE_TOPOLOGY=shared), seen by the sync service as msk_sync', () => {
  let node: PostgresNode;
  let sync: Pool;
  const captureTriggers = async () =>
    Number(
      (
        await node.app.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
        )
      ).rows[0]?.n,
    );

  beforeAll(async () => {
    // ran per-node before: capture installed by msk_sync on tables msk_app owns
    node = await startPostgresNode(NODE_IDS[1]!, APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, { roles: ROLES });
    await node.store.close();
    sync = new Pool({ connectionString: asRole(node.database.url, SYNC_ROLE, ROLES.sync), max: 1 });
  });
  afterAll(async () => {
    await sync?.end();
    await node?.app.end();
    await node?.database.drop();
  });

  it('reads the database identity with no grant beyond the roles setup (pg_control_system is executable by every role)', async () => {
    // what the sync service's DATABASE_IDENTITY_SQL (sync/src/service/databaseExchange.ts) reads: the engine's
    // package imports nothing of the service, so the privileges are checked here by the same catalog reads
    const { rows } = await sync.query<{ systemIdentifier: string; databaseOid: string }>(
      'SELECT system_identifier::text AS "systemIdentifier", (SELECT oid FROM pg_database WHERE datname = current_database())::text AS "databaseOid" FROM pg_control_system()',
    );
    expect(rows[0]).toEqual({
      systemIdentifier: expect.stringMatching(/^\d+$/),
      databaseOid: expect.stringMatching(/^\d+$/),
    });
    expect(await refusal(node.app, 'SELECT system_identifier FROM pg_control_system()')).toBe('accepted');
  });

  it('removes the capture triggers from tables it does not own, and its change log, keeping its schema', async () => {
    expect(await captureTriggers()).toBeGreaterThan(0);
    expect(await refusal(sync, 'DROP TRIGGER IF EXISTS msk_sync_capture_insert ON users')).toMatch(/must be owner/);
    const removed = await removeCapture(sync);
    expect(removed.triggers).toBeGreaterThan(0);
    expect(await captureTriggers()).toBe(0);
    const left = await sync.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'msk_sync'`,
    );
    expect(left.rows).toEqual([]);
    expect(
      (await sync.query(`SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'msk_sync'`)).rows,
    ).toEqual([{ owner: 'msk_sync' }]);
    const row = userRow();
    await node.insert('users', row);
    expect(await removeCapture(sync)).toEqual({ triggers: 0, objects: 0 });
  });
});
