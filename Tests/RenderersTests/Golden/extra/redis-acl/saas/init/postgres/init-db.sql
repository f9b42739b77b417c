-- Rendered by ovudev from ovu.topology.json (project chat, scenario saas, layout per-tenant). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'acme_auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_auth_user')\gexec
ALTER ROLE acme_auth_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAcmeAuthDbPassword7';
SELECT format('CREATE ROLE %I', 'acme_rooms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_rooms_user')\gexec
ALTER ROLE acme_rooms_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAcmeRoomsDbPassword7';

-- Database acme_auth_db (tenant acme)
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_auth_db', 'acme_auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_auth_db')\gexec
ALTER DATABASE acme_auth_db OWNER TO acme_auth_user;
REVOKE ALL ON DATABASE acme_auth_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_auth_db TO acme_auth_user;

-- Inside acme_auth_db: schemas, extensions, privileges
\connect acme_auth_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_auth_user;

-- Database acme_rooms_db (tenant acme)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_rooms_db', 'acme_rooms_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_rooms_db')\gexec
ALTER DATABASE acme_rooms_db OWNER TO acme_rooms_user;
REVOKE ALL ON DATABASE acme_rooms_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_rooms_db TO acme_rooms_user;

-- Inside acme_rooms_db: schemas, extensions, privileges
\connect acme_rooms_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_rooms_user;
