/**
 * The database roles of a node, least privilege: the app and the sync service each connect as their own login role,
 * and the superuser is used only here, to set them up.
 *
 * - `msk_app` (DATABASE_URL, password DATABASE_PASSWORD): owns what the app's migrations create in schema public
 *   (it runs them at start), nothing else. No superuser, no CREATEDB/CREATEROLE, member of no role, so no
 *   `COPY … PROGRAM`, no server files, no other schema.
 * - `msk_sync` (SYNC_DATABASE_URL, password SYNC_DATABASE_PASSWORD): owns schema msk_sync (its logs and the capture
 *   functions, which run SECURITY DEFINER so the app's writes can log without any right on msk_sync); on the app's
 *   tables it may SELECT, INSERT, UPDATE, DELETE (applying peers' changes) and TRIGGER (installing capture), now
 *   and on every table the app creates later (default privileges).
 *
 * One SQL text, idempotent (run at every local-cluster start; by the postgres image's initdb script in compose and
 * Kubernetes): it also moves tables an earlier release created as the superuser to their owner role. Passwords come
 * in as transaction-local settings, never inside the SQL text.
 */
import type { ClientBase } from 'pg';

export const APP_ROLE = 'msk_app';
export const SYNC_ROLE = 'msk_sync';
/** The sync service's schema (replication/src/postgres/sql.ts SYNC_SCHEMA); it is owned by SYNC_ROLE. */
const SYNC_SCHEMA = 'msk_sync';
export const MIN_ROLE_PASSWORD_LENGTH = 16;

const APP_PASSWORD_SETTING = 'msk.setup_app_password';
const SYNC_PASSWORD_SETTING = 'msk.setup_sync_password';

/** Moves the tables, views and sequences (not those a table owns) of a schema to a role, then its functions. */
function reassignSchemaObjects(schema: string, role: string, withFunctions: boolean): string {
  const functions = withFunctions
    ? `
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = '${schema}' AND p.proowner <> '${role}'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO ${role}', item.name);
  END LOOP;`
    : '';
  return `
  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = '${schema}' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> '${role}'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')) LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO ${role}', item.name);
  END LOOP;${functions}`;
}

/** Run by a superuser in the app's database, with the two password settings set for the transaction. */
export const DATABASE_ROLES_SQL = `DO $setup$
DECLARE
  app_password  text := coalesce(current_setting('${APP_PASSWORD_SETTING}', true), '');
  sync_password text := coalesce(current_setting('${SYNC_PASSWORD_SETTING}', true), '');
  item record;
BEGIN
  IF length(app_password) < ${MIN_ROLE_PASSWORD_LENGTH} OR length(sync_password) < ${MIN_ROLE_PASSWORD_LENGTH} THEN
    RAISE EXCEPTION 'DATABASE_PASSWORD and SYNC_DATABASE_PASSWORD must each have at least ${MIN_ROLE_PASSWORD_LENGTH} characters (npm run init makes them)';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE}; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${SYNC_ROLE}') THEN CREATE ROLE ${SYNC_ROLE}; END IF;
  EXECUTE format('ALTER ROLE ${APP_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L', app_password);
  EXECUTE format('ALTER ROLE ${SYNC_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L', sync_password);
  -- Member of no role (pg_execute_server_program, pg_read_server_files, another owner...): only what is granted here.
  FOR item IN SELECT r.rolname AS granted, m.rolname AS member FROM pg_auth_members a
      JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
      WHERE m.rolname IN ('${APP_ROLE}', '${SYNC_ROLE}') LOOP
    EXECUTE format('REVOKE %I FROM %I', item.granted, item.member);
  END LOOP;

  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${APP_ROLE}, ${SYNC_ROLE}', current_database());
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  GRANT USAGE, CREATE ON SCHEMA public TO ${APP_ROLE};
  GRANT USAGE ON SCHEMA public TO ${SYNC_ROLE};
${reassignSchemaObjects('public', APP_ROLE, false)}

  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = '${SYNC_SCHEMA}') THEN
    CREATE SCHEMA ${SYNC_SCHEMA} AUTHORIZATION ${SYNC_ROLE};
  END IF;
  ALTER SCHEMA ${SYNC_SCHEMA} OWNER TO ${SYNC_ROLE};
  REVOKE ALL ON SCHEMA ${SYNC_SCHEMA} FROM PUBLIC;
${reassignSchemaObjects(SYNC_SCHEMA, SYNC_ROLE, true)}

  -- The replicated tables: the sync service applies peers' changes and installs capture triggers on them.
  ALTER DEFAULT PRIVILEGES FOR ROLE ${APP_ROLE} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, TRIGGER ON TABLES TO ${SYNC_ROLE};
  GRANT SELECT, INSERT, UPDATE, DELETE, TRIGGER ON ALL TABLES IN SCHEMA public TO ${SYNC_ROLE};
END
$setup$;`;

export interface DatabaseRolePasswords {
  /** msk_app's password: DATABASE_PASSWORD. */
  readonly app: string;
  /** msk_sync's password: SYNC_DATABASE_PASSWORD. */
  readonly sync: string;
}

/** Creates or updates the two roles; `superuser` must be connected, as a superuser, to the app's database. */
export async function setUpDatabaseRoles(superuser: ClientBase, passwords: DatabaseRolePasswords): Promise<void> {
  await superuser.query('BEGIN');
  try {
    await superuser.query(
      `SELECT set_config('${APP_PASSWORD_SETTING}', $1, true), set_config('${SYNC_PASSWORD_SETTING}', $2, true)`,
      [passwords.app, passwords.sync],
    );
    await superuser.query(DATABASE_ROLES_SQL);
    await superuser.query('COMMIT');
  } catch (error) {
    await superuser.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The same setup as a script for the official postgres image's /docker-entrypoint-initdb.d (compose mounts
 * compose/postgres-initdb, Kubernetes a ConfigMap): it runs once, when the data volume is initialised, as the
 * superuser over the local socket, and reads the passwords from the container's environment (psql's \getenv, so
 * they appear on no command line and in no output).
 */
export function databaseRolesInitdbScript(): string {
  return `#!/bin/sh
# Creates the database roles the app (${APP_ROLE}) and the sync service (${SYNC_ROLE}) connect as; the superuser is
# used only for this. Run by the postgres image when the data volume is initialised (docker-entrypoint-initdb.d),
# with DATABASE_PASSWORD and SYNC_DATABASE_PASSWORD from shared.env (or the Kubernetes Secret) in its environment.
# Generated from kit/src/postgres/databaseRoles.ts (npm run initdb-script): edit that file, not this one.
: "\${DATABASE_PASSWORD:?is not set: the postgres container needs shared.env (npm run init writes it)}"
: "\${SYNC_DATABASE_PASSWORD:?is not set: the postgres container needs shared.env (npm run init writes it; re-run it with --keep-secrets to add it)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\\getenv app_password DATABASE_PASSWORD
\\getenv sync_password SYNC_DATABASE_PASSWORD
BEGIN;
\\o /dev/null
SELECT set_config('${APP_PASSWORD_SETTING}', :'app_password', true), set_config('${SYNC_PASSWORD_SETTING}', :'sync_password', true);
\\o
${DATABASE_ROLES_SQL}
COMMIT;
SQL
`;
}
