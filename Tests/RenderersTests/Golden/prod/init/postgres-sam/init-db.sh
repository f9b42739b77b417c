#!/bin/sh
# Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
# Passwords come from the environment (secrets: external); none is written in this bundle.
set -eu
: "${SAM_DB_PASSWORD:?SAM_DB_PASSWORD must be set (see .env.example)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v sam_db_password="$SAM_DB_PASSWORD" <<'OVUDEV_SQL'
-- Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sam_user')\gexec
ALTER ROLE sam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD :'sam_db_password';

-- Database sam_db
SELECT format('CREATE DATABASE %I OWNER %I', 'sam_db', 'sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'sam_db')\gexec
ALTER DATABASE sam_db OWNER TO sam_user;
REVOKE ALL ON DATABASE sam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE sam_db TO sam_user;

-- Inside sam_db: schemas, extensions, privileges
\connect sam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO sam_user;
OVUDEV_SQL
