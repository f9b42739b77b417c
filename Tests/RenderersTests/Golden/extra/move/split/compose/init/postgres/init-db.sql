-- Rendered by ovudev from ovu.topology.json (project suite, scenario split, layout single-db). Do not edit: change the topology and run `ovudev render`.
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

-- Database forms_db
SELECT format('CREATE DATABASE %I OWNER %I', 'forms_db', 'forms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'forms_db')\gexec
ALTER DATABASE forms_db OWNER TO forms_user;
REVOKE ALL ON DATABASE forms_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE forms_db TO forms_user;

-- Inside forms_db: schemas, extensions, privileges
\connect forms_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO forms_user;

-- Database suite_db
\connect postgres
SELECT format('CREATE DATABASE %I', 'suite_db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'suite_db')\gexec
REVOKE ALL ON DATABASE suite_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE suite_db TO auth_user, web_user;
GRANT CONNECT ON DATABASE suite_db TO forms_user;

-- Inside suite_db: schemas, extensions, privileges
\connect suite_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION auth_user;
ALTER SCHEMA auth OWNER TO auth_user;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS web AUTHORIZATION web_user;
ALTER SCHEMA web OWNER TO web_user;
REVOKE ALL ON SCHEMA web FROM PUBLIC;
ALTER ROLE auth_user IN DATABASE suite_db SET search_path = auth, public;
ALTER ROLE web_user IN DATABASE suite_db SET search_path = web, public;
GRANT USAGE ON SCHEMA auth TO forms_user, web_user;
