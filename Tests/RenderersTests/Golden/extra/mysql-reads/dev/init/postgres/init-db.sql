-- Rendered by ovudev from ovu.topology.json (project shop, scenario dev, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'orders_user')\gexec
ALTER ROLE orders_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwOrdersDbPassword7';

-- Database orders_db
SELECT format('CREATE DATABASE %I OWNER %I', 'orders_db', 'orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'orders_db')\gexec
ALTER DATABASE orders_db OWNER TO orders_user;
REVOKE ALL ON DATABASE orders_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE orders_db TO orders_user;

-- Inside orders_db: schemas, extensions, privileges
\connect orders_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO orders_user;
