-- Rendered by ovudev from ovu.topology.json (project engarde, scenario split, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
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

-- Database authservice
SELECT format('CREATE DATABASE %I OWNER %I', 'authservice', 'authservice_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'authservice')\gexec
ALTER DATABASE authservice OWNER TO authservice_user;
REVOKE ALL ON DATABASE authservice FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE authservice TO authservice_user;

-- Inside authservice: schemas, extensions, privileges
\connect authservice
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO authservice_user;

-- Database user_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'user_db', 'madansara_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'user_db')\gexec
ALTER DATABASE user_db OWNER TO madansara_user;
REVOKE ALL ON DATABASE user_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE user_db TO madansara_user;
GRANT CONNECT ON DATABASE user_db TO web_user;

-- Inside user_db: schemas, extensions, privileges
\connect user_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO madansara_user;
GRANT USAGE ON SCHEMA public TO web_user;

-- Database web_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'web_db', 'web_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'web_db')\gexec
ALTER DATABASE web_db OWNER TO web_user;
REVOKE ALL ON DATABASE web_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE web_db TO web_user;

-- Inside web_db: schemas, extensions, privileges
\connect web_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO web_user;
