/**
 * What a node's embedded PostgreSQL needs once it runs: the database, and the roles msk_app and msk_sync with the
 * cluster's passwords — set up as the superuser, whose password an earlier release kept in DATABASE_PASSWORD.
 */
import { Client } from 'pg';
import type { StartedPostgres } from '../postgres/embeddedPostgres';
import { setUpDatabaseRoles } from '../postgres/databaseRoles';
import { LOCAL_DATABASE, LOCAL_DATABASE_SUPERUSER } from './clusterNodeEnvironment';

export async function setUpNodeDatabase(
  server: StartedPostgres,
  superuserPassword: string,
  passwords: { app: string; sync: string },
): Promise<void> {
  const { app, sync } = passwords;
  // An earlier release made the superuser with DATABASE_PASSWORD (and let the app and sync use it): move it.
  const postgres = await connectAsSuperuser(server, superuserPassword, 'postgres', [app]);
  try {
    const exists = await postgres.query('SELECT 1 FROM pg_database WHERE datname = $1', [LOCAL_DATABASE]);
    if (exists.rowCount === 0) await postgres.query(`CREATE DATABASE ${LOCAL_DATABASE}`);
  } finally {
    await postgres.end();
  }
  const database = await connectAsSuperuser(server, superuserPassword, LOCAL_DATABASE, []);
  try {
    await setUpDatabaseRoles(database, { app, sync });
  } finally {
    await database.end();
  }
}

/** A superuser connection; with a legacy password that works, the superuser's password is changed first. */
async function connectAsSuperuser(
  server: StartedPostgres,
  superuserPassword: string,
  database: string,
  legacyPasswords: readonly string[],
): Promise<Client> {
  const connect = async (password: string) => {
    const url = new URL(server.url(database));
    url.password = encodeURIComponent(password);
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    return client;
  };
  try {
    return await connect(superuserPassword);
  } catch (error) {
    for (const legacy of legacyPasswords) {
      const client = await connect(legacy).catch(() => undefined);
      if (!client) continue;
      await client.query(`ALTER ROLE ${LOCAL_DATABASE_SUPERUSER} PASSWORD '${superuserPassword.replace(/'/g, "''")}'`);
      return client;
    }
    throw error;
  }
}
