-- Rendered by ovudev from ovu.topology.json (project suite, scenario prefix, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_user')\gexec
ALTER ROLE auth_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAuthDbPassword7';
SELECT format('CREATE ROLE %I', 'forms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'forms_user')\gexec
ALTER ROLE forms_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwFormsDbPassword7';
SELECT format('CREATE ROLE %I', 'web_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'web_user')\gexec
ALTER ROLE web_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwWebDbPassword7';

-- Database suite_db
SELECT format('CREATE DATABASE %I', 'suite_db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'suite_db')\gexec
REVOKE ALL ON DATABASE suite_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE suite_db TO auth_user, forms_user, web_user;

-- Inside suite_db: schemas, extensions, privileges
\connect suite_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO auth_user, forms_user, web_user;
GRANT USAGE ON SCHEMA public TO forms_user, web_user;
