-- The app's own role. Migrations run as the owner of the tables; the app's queries run as
-- hotline_app, which may read and write the hospital's data but owns nothing, so it cannot alter,
-- disable the trigger of, truncate or drop audit_log, nor update or delete its rows.
-- Roles belong to the whole server, not to one database: a DBA may have made it already.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hotline_app') THEN
    CREATE ROLE hotline_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database on this server made it at the same moment
END $$;

-- An owner that is not a superuser may also be the app's login (DATABASE_URL alone): it must be
-- able to SET ROLE hotline_app. A superuser can already; an owner that may not grant it is told.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    GRANT hotline_app TO CURRENT_USER;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'hotline_app: % may not grant it to itself; the app''s login must be a member (GRANT hotline_app TO <login>)', current_user;
END $$;

-- What the app may do, applied to every object in the schema. migrate.ts calls it after every run,
-- so the tables of later migrations are covered without each one granting. To change what the app
-- may do, a later migration replaces this function; nothing else grants to hotline_app.
CREATE FUNCTION grant_app_role() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  GRANT USAGE ON SCHEMA public TO hotline_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO hotline_app;
  GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO hotline_app;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO hotline_app;
  -- the audit log is written and read, never changed
  REVOKE ALL ON audit_log FROM hotline_app;
  GRANT SELECT, INSERT ON audit_log TO hotline_app;
  -- which migrations ran is the owner's business
  REVOKE ALL ON schema_migration FROM hotline_app;
  REVOKE EXECUTE ON FUNCTION grant_app_role() FROM hotline_app, PUBLIC;
END $$;
