-- Rendered by ovudev from ovu.topology.json (project ovu, scenario stage, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
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

-- Database aam_db
SELECT format('CREATE DATABASE %I OWNER %I', 'aam_db', 'aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'aam_db')\gexec
ALTER DATABASE aam_db OWNER TO aam_user;
REVOKE ALL ON DATABASE aam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE aam_db TO aam_user;
GRANT CONNECT ON DATABASE aam_db TO analytics;

-- Inside aam_db: schemas, extensions, privileges
\connect aam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO aam_user;
GRANT USAGE ON SCHEMA public TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE aam_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics;

-- Database sam_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'sam_db', 'sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'sam_db')\gexec
ALTER DATABASE sam_db OWNER TO sam_user;
REVOKE ALL ON DATABASE sam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE sam_db TO sam_user;
GRANT CONNECT ON DATABASE sam_db TO analytics;

-- Inside sam_db: schemas, extensions, privileges
\connect sam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO sam_user;
GRANT USAGE ON SCHEMA public TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE sam_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics;

-- Database smm_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'smm_db', 'smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'smm_db')\gexec
ALTER DATABASE smm_db OWNER TO smm_user;
REVOKE ALL ON DATABASE smm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE smm_db TO smm_user;
GRANT CONNECT ON DATABASE smm_db TO analytics;

-- Inside smm_db: schemas, extensions, privileges
\connect smm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO smm_user;
GRANT USAGE ON SCHEMA public TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE smm_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics;

-- Database ulm_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'ulm_db', 'ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'ulm_db')\gexec
ALTER DATABASE ulm_db OWNER TO ulm_user;
REVOKE ALL ON DATABASE ulm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ulm_db TO ulm_user;
GRANT CONNECT ON DATABASE ulm_db TO aam_user, analytics, sam_user;

-- Inside ulm_db: schemas, extensions, privileges
\connect ulm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO ulm_user;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
GRANT USAGE ON SCHEMA public TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE ulm_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA public TO aam_user, sam_user;
