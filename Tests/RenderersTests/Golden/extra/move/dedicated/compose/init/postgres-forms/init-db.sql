-- Rendered by ovudev from ovu.topology.json (project suite, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'forms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'forms_user')\gexec
ALTER ROLE forms_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwFormsDbPassword7';

-- Database forms_db
SELECT format('CREATE DATABASE %I OWNER %I', 'forms_db', 'forms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'forms_db')\gexec
ALTER DATABASE forms_db OWNER TO forms_user;
REVOKE ALL ON DATABASE forms_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE forms_db TO forms_user;

-- Inside forms_db: schemas, extensions, privileges
\connect forms_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO forms_user;
