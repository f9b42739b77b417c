#!/bin/sh
# Rendered by ovudev from ovu.topology.json (project chat, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
# Passwords come from the environment (secrets: external); none is written in this bundle.
set -eu
: "${AUTH_DB_PASSWORD:?AUTH_DB_PASSWORD must be set (see .env.example)}"
: "${ROOMS_DB_PASSWORD:?ROOMS_DB_PASSWORD must be set (see .env.example)}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v auth_db_password="$AUTH_DB_PASSWORD" \
  -v rooms_db_password="$ROOMS_DB_PASSWORD" <<'OVUDEV_SQL'
-- Rendered by ovudev from ovu.topology.json (project chat, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_user')\gexec
ALTER ROLE auth_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD :'auth_db_password';
SELECT format('CREATE ROLE %I', 'rooms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'rooms_user')\gexec
ALTER ROLE rooms_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD :'rooms_db_password';

-- Database auth_db
SELECT format('CREATE DATABASE %I OWNER %I', 'auth_db', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'auth_db')\gexec
ALTER DATABASE auth_db OWNER TO auth_user;
REVOKE ALL ON DATABASE auth_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE auth_db TO auth_user;

-- Inside auth_db: schemas, extensions, privileges
\connect auth_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO auth_user;

-- Database rooms_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'rooms_db', 'rooms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'rooms_db')\gexec
ALTER DATABASE rooms_db OWNER TO rooms_user;
REVOKE ALL ON DATABASE rooms_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE rooms_db TO rooms_user;

-- Inside rooms_db: schemas, extensions, privileges
\connect rooms_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO rooms_user;
OVUDEV_SQL
