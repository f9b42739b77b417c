#!/bin/sh
# Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
# Passwords come from the environment (secrets: external); none is written in this bundle.
set -eu
: "${AAM_DB_PASSWORD:?AAM_DB_PASSWORD must be set (see .env.example)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v aam_db_password="$AAM_DB_PASSWORD" <<'OVUDEV_SQL'
-- Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aam_user')\gexec
ALTER ROLE aam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD :'aam_db_password';

-- Database aam_db
SELECT format('CREATE DATABASE %I OWNER %I', 'aam_db', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'aam_db')\gexec
ALTER DATABASE aam_db OWNER TO aam_user;
REVOKE ALL ON DATABASE aam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE aam_db TO aam_user;

-- Inside aam_db: schemas, extensions, privileges
\connect aam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO aam_user;
OVUDEV_SQL
