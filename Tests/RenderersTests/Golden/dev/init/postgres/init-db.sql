-- Rendered by ovudev from ovu.topology.json (project ovu, scenario dev, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance, and the read-only analytics role
\connect postgres
SELECT format('CREATE ROLE %I', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'aam_user')\gexec
ALTER ROLE aam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAamDbPassword7';
SELECT format('CREATE ROLE %I', 'analytics') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'analytics')\gexec
ALTER ROLE analytics WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5 PASSWORD 'pwAnalyticsRolePassword7';
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
GRANT CONNECT ON DATABASE ovu_db TO analytics;

-- Inside ovu_db: schemas, extensions, privileges
\connect ovu_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
CREATE SCHEMA IF NOT EXISTS aam AUTHORIZATION aam_user;
ALTER SCHEMA aam OWNER TO aam_user;
REVOKE ALL ON SCHEMA aam FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS sam AUTHORIZATION sam_user;
ALTER SCHEMA sam OWNER TO sam_user;
REVOKE ALL ON SCHEMA sam FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS smm AUTHORIZATION smm_user;
ALTER SCHEMA smm OWNER TO smm_user;
REVOKE ALL ON SCHEMA smm FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS ulm AUTHORIZATION ulm_user;
ALTER SCHEMA ulm OWNER TO ulm_user;
REVOKE ALL ON SCHEMA ulm FROM PUBLIC;
ALTER ROLE aam_user IN DATABASE ovu_db SET search_path = aam, public;
ALTER ROLE sam_user IN DATABASE ovu_db SET search_path = sam, public;
ALTER ROLE smm_user IN DATABASE ovu_db SET search_path = smm, public;
ALTER ROLE ulm_user IN DATABASE ovu_db SET search_path = ulm, public;
GRANT USAGE ON SCHEMA aam TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA aam TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE aam_user IN SCHEMA aam GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA sam TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA sam TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE sam_user IN SCHEMA sam GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA smm TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA smm TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE smm_user IN SCHEMA smm GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA ulm TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA ulm TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE ulm_user IN SCHEMA ulm GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA ulm TO aam_user, sam_user;
