-- Rendered by ovudev from ovu.topology.json (project league, scenario hybrid, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance, and the read-only analytics role
\connect postgres
SELECT format('CREATE ROLE %I', 'analytics') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'analytics')\gexec
ALTER ROLE analytics WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5 PASSWORD 'pwAnalyticsRolePassword7';
SELECT format('CREATE ROLE %I', 'madansara_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'madansara_user')\gexec
ALTER ROLE madansara_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwMadansaraDbPassword7';
SELECT format('CREATE ROLE %I', 'sankore_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sankore_user')\gexec
ALTER ROLE sankore_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwSankoreDbPassword7';

-- Database madansara_db
SELECT format('CREATE DATABASE %I OWNER %I', 'madansara_db', 'madansara_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'madansara_db')\gexec
ALTER DATABASE madansara_db OWNER TO madansara_user;
REVOKE ALL ON DATABASE madansara_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE madansara_db TO madansara_user;

-- Inside madansara_db: schemas, extensions, privileges
\connect madansara_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO madansara_user;

-- Database sankore_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'sankore_db', 'sankore_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'sankore_db')\gexec
ALTER DATABASE sankore_db OWNER TO sankore_user;
REVOKE ALL ON DATABASE sankore_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE sankore_db TO sankore_user;
GRANT CONNECT ON DATABASE sankore_db TO analytics;

-- Inside sankore_db: schemas, extensions, privileges
\connect sankore_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO sankore_user;
GRANT USAGE ON SCHEMA public TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE sankore_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics;
