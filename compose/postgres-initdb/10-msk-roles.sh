#!/bin/sh
# Creates the database roles the app (msk_app) and the sync service (msk_sync) connect as; the superuser is
# used only for this. Run by the postgres image when the data volume is initialised (docker-entrypoint-initdb.d),
# with DATABASE_PASSWORD and SYNC_DATABASE_PASSWORD from shared.env (or the Kubernetes Secret) in its environment.
# Generated from kit/src/postgres/databaseRoles.ts (npm run initdb-script): edit that file, not this one.
: "${DATABASE_PASSWORD:?is not set: the postgres container needs shared.env (npm run init writes it)}"
: "${SYNC_DATABASE_PASSWORD:?is not set: the postgres container needs shared.env (npm run init writes it; re-run it with --keep-secrets to add it)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv app_password DATABASE_PASSWORD
\getenv sync_password SYNC_DATABASE_PASSWORD
BEGIN;
\o /dev/null
SELECT set_config('msk.setup_app_password', :'app_password', true), set_config('msk.setup_sync_password', :'sync_password', true);
\o
DO $setup$
DECLARE
  app_password  text := coalesce(current_setting('msk.setup_app_password', true), '');
  sync_password text := coalesce(current_setting('msk.setup_sync_password', true), '');
  item record;
BEGIN
  IF length(app_password) < 16 OR length(sync_password) < 16 THEN
    RAISE EXCEPTION 'DATABASE_PASSWORD and SYNC_DATABASE_PASSWORD must each have at least 16 characters (npm run init makes them)';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'msk_app') THEN CREATE ROLE msk_app; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'msk_sync') THEN CREATE ROLE msk_sync; END IF;
  EXECUTE format('ALTER ROLE msk_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L', app_password);
  EXECUTE format('ALTER ROLE msk_sync WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L', sync_password);
  -- Member of no role (pg_execute_server_program, pg_read_server_files, another owner...): only what is granted here.
  FOR item IN SELECT r.rolname AS granted, m.rolname AS member FROM pg_auth_members a
      JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
      WHERE m.rolname IN ('msk_app', 'msk_sync') LOOP
    EXECUTE format('REVOKE %I FROM %I', item.granted, item.member);
  END LOOP;

  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO msk_app, msk_sync', current_database());
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  GRANT USAGE, CREATE ON SCHEMA public TO msk_app;
  GRANT USAGE ON SCHEMA public TO msk_sync;

  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> 'msk_app'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')) LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO msk_app', item.name);
  END LOOP;

  IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'msk_sync') THEN
    CREATE SCHEMA msk_sync AUTHORIZATION msk_sync;
  END IF;
  ALTER SCHEMA msk_sync OWNER TO msk_sync;
  REVOKE ALL ON SCHEMA msk_sync FROM PUBLIC;

  FOR item IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'msk_sync' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> 'msk_sync'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')) LOOP
    EXECUTE format('ALTER TABLE %s OWNER TO msk_sync', item.name);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'msk_sync' AND p.proowner <> 'msk_sync'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO msk_sync', item.name);
  END LOOP;

  -- The replicated tables: the sync service applies peers' changes and installs capture triggers on them.
  ALTER DEFAULT PRIVILEGES FOR ROLE msk_app IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, TRIGGER ON TABLES TO msk_sync;
  GRANT SELECT, INSERT, UPDATE, DELETE, TRIGGER ON ALL TABLES IN SCHEMA public TO msk_sync;
END
$setup$;
COMMIT;
SQL
