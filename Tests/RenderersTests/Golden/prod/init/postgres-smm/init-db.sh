#!/bin/sh
# Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
# Passwords come from the environment (secrets: external); none is written in this bundle.
set -eu
: "${SMM_DB_PASSWORD:?SMM_DB_PASSWORD must be set (see .env.example)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v smm_db_password="$SMM_DB_PASSWORD" <<'OVUDEV_SQL'
-- Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'smm_user')\gexec
ALTER ROLE smm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD :'smm_db_password';

-- Database smm_db
SELECT format('CREATE DATABASE %I OWNER %I', 'smm_db', 'smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'smm_db')\gexec
ALTER DATABASE smm_db OWNER TO smm_user;
REVOKE ALL ON DATABASE smm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE smm_db TO smm_user;

-- Inside smm_db: schemas, extensions, privileges
\connect smm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO smm_user;
OVUDEV_SQL
