-- Rendered by ovudev from ovu.topology.json (project ovu, scenario hybrid, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aam_user')\gexec
ALTER ROLE aam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAamDbPassword7';
SELECT format('CREATE ROLE %I', 'sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sam_user')\gexec
ALTER ROLE sam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwSamDbPassword7';
SELECT format('CREATE ROLE %I', 'ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ulm_user')\gexec
ALTER ROLE ulm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 30 PASSWORD 'pwUlmDbPassword7';

-- Database aam_db
SELECT format('CREATE DATABASE %I OWNER %I', 'aam_db', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'aam_db')\gexec
ALTER DATABASE aam_db OWNER TO aam_user;
REVOKE ALL ON DATABASE aam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE aam_db TO aam_user;

-- Inside aam_db: schemas, extensions, privileges
\connect aam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO aam_user;

-- Database ulm_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'ulm_db', 'ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'ulm_db')\gexec
ALTER DATABASE ulm_db OWNER TO ulm_user;
REVOKE ALL ON DATABASE ulm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ulm_db TO ulm_user;
GRANT CONNECT ON DATABASE ulm_db TO aam_user, sam_user;

-- Inside ulm_db: schemas, extensions, privileges
\connect ulm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO ulm_user;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
GRANT USAGE ON SCHEMA public TO aam_user, sam_user;
