-- Rendered by ovudev from ovu.topology.json (project engarde, scenario single, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'authservice_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'authservice_user')\gexec
ALTER ROLE authservice_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 12 PASSWORD 'pwAuthserviceDbPassword7';
SELECT format('CREATE ROLE %I', 'madansara_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'madansara_user')\gexec
ALTER ROLE madansara_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwMadansaraDbPassword7';
SELECT format('CREATE ROLE %I', 'web_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'web_user')\gexec
ALTER ROLE web_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwWebDbPassword7';

-- Database engarde
SELECT format('CREATE DATABASE %I', 'engarde') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'engarde')\gexec
REVOKE ALL ON DATABASE engarde FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE engarde TO authservice_user, madansara_user, web_user;

-- Inside engarde: schemas, extensions, privileges
\connect engarde
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION authservice_user;
ALTER SCHEMA auth OWNER TO authservice_user;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS madansara AUTHORIZATION madansara_user;
ALTER SCHEMA madansara OWNER TO madansara_user;
REVOKE ALL ON SCHEMA madansara FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS web AUTHORIZATION web_user;
ALTER SCHEMA web OWNER TO web_user;
REVOKE ALL ON SCHEMA web FROM PUBLIC;
ALTER ROLE authservice_user IN DATABASE engarde SET search_path = auth, public;
ALTER ROLE madansara_user IN DATABASE engarde SET search_path = madansara, public;
ALTER ROLE web_user IN DATABASE engarde SET search_path = web, public;
GRANT USAGE ON SCHEMA madansara TO web_user;
