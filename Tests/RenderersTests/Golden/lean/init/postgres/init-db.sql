-- Rendered by ovudev from ovu.topology.json (project ovu, scenario lean, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aam_user')\gexec
ALTER ROLE aam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAamDbPassword7';
SELECT format('CREATE ROLE %I', 'sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sam_user')\gexec
ALTER ROLE sam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwSamDbPassword7';
SELECT format('CREATE ROLE %I', 'smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'smm_user')\gexec
ALTER ROLE smm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwSmmDbPassword7';
SELECT format('CREATE ROLE %I', 'ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ulm_user')\gexec
ALTER ROLE ulm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 30 PASSWORD 'pwUlmDbPassword7';

-- Database ovu_db
SELECT format('CREATE DATABASE %I', 'ovu_db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'ovu_db')\gexec
REVOKE ALL ON DATABASE ovu_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ovu_db TO aam_user, sam_user, smm_user, ulm_user;

-- Inside ovu_db: schemas, extensions, privileges
\connect ovu_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
GRANT USAGE, CREATE ON SCHEMA public TO aam_user, sam_user, smm_user, ulm_user;
GRANT USAGE ON SCHEMA public TO aam_user, sam_user;
