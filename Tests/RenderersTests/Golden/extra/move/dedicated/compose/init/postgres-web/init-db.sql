-- Rendered by ovudev from ovu.topology.json (project suite, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'web_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'web_user')\gexec
ALTER ROLE web_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwWebDbPassword7';

-- Database web_db
SELECT format('CREATE DATABASE %I OWNER %I', 'web_db', 'web_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'web_db')\gexec
ALTER DATABASE web_db OWNER TO web_user;
REVOKE ALL ON DATABASE web_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE web_db TO web_user;

-- Inside web_db: schemas, extensions, privileges
\connect web_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO web_user;
