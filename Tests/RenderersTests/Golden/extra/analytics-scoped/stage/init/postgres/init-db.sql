-- Rendered by ovudev from ovu.topology.json (project league, scenario stage, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance, and the read-only analytics role
\connect postgres
SELECT format('CREATE ROLE %I', 'analytics_readonly') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'analytics_readonly')\gexec
ALTER ROLE analytics_readonly WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5 PASSWORD 'pwAnalyticsReadonlyRolePassword7';
SELECT format('CREATE ROLE %I', 'billing_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'billing_user')\gexec
ALTER ROLE billing_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwBillingDbPassword7';
SELECT format('CREATE ROLE %I', 'madansara_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'madansara_user')\gexec
ALTER ROLE madansara_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwMadansaraDbPassword7';
SELECT format('CREATE ROLE %I', 'onside_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'onside_user')\gexec
ALTER ROLE onside_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwOnsideDbPassword7';
SELECT format('CREATE ROLE %I', 'sankore_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sankore_user')\gexec
ALTER ROLE sankore_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwSankoreDbPassword7';

-- Database billing_db
SELECT format('CREATE DATABASE %I OWNER %I', 'billing_db', 'billing_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'billing_db')\gexec
ALTER DATABASE billing_db OWNER TO billing_user;
REVOKE ALL ON DATABASE billing_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE billing_db TO billing_user;

-- Inside billing_db: schemas, extensions, privileges
\connect billing_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO billing_user;

-- Database madansara_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'madansara_db', 'madansara_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'madansara_db')\gexec
ALTER DATABASE madansara_db OWNER TO madansara_user;
REVOKE ALL ON DATABASE madansara_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE madansara_db TO madansara_user;
GRANT CONNECT ON DATABASE madansara_db TO analytics_readonly;

-- Inside madansara_db: schemas, extensions, privileges
\connect madansara_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO madansara_user;
GRANT USAGE ON SCHEMA public TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE madansara_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics_readonly;

-- Database onside_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'onside_db', 'onside_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'onside_db')\gexec
ALTER DATABASE onside_db OWNER TO onside_user;
REVOKE ALL ON DATABASE onside_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE onside_db TO onside_user;
GRANT CONNECT ON DATABASE onside_db TO analytics_readonly;

-- Inside onside_db: schemas, extensions, privileges
\connect onside_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO onside_user;
GRANT USAGE ON SCHEMA public TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE onside_user IN SCHEMA public GRANT SELECT ON TABLES TO analytics_readonly;

-- Database sankore_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'sankore_db', 'sankore_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'sankore_db')\gexec
ALTER DATABASE sankore_db OWNER TO sankore_user;
REVOKE ALL ON DATABASE sankore_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE sankore_db TO sankore_user;

-- Inside sankore_db: schemas, extensions, privileges
\connect sankore_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO sankore_user;
