-- Rendered by ovudev from ovu.topology.json (project engarde, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'authservice_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authservice_user')\gexec
ALTER ROLE authservice_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 12 PASSWORD 'pwAuthserviceDbPassword7';

-- Database authservice
SELECT format('CREATE DATABASE %I OWNER %I', 'authservice', 'authservice_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'authservice')\gexec
ALTER DATABASE authservice OWNER TO authservice_user;
REVOKE ALL ON DATABASE authservice FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE authservice TO authservice_user;

-- Inside authservice: schemas, extensions, privileges
\connect authservice
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO authservice_user;
