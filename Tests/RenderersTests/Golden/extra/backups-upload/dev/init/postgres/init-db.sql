-- Rendered by ovudev from ovu.topology.json (project ovu, scenario dev, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ulm_user')\gexec
ALTER ROLE ulm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwUlmDbPassword7';

-- Database ulm_db
SELECT format('CREATE DATABASE %I OWNER %I', 'ulm_db', 'ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'ulm_db')\gexec
ALTER DATABASE ulm_db OWNER TO ulm_user;
REVOKE ALL ON DATABASE ulm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ulm_db TO ulm_user;

-- Inside ulm_db: schemas, extensions, privileges
\connect ulm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO ulm_user;
