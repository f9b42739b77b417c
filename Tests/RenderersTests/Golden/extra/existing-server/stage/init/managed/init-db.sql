-- Rendered by ovudev from ovu.topology.json (project shop, scenario stage, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_user')\gexec
ALTER ROLE auth_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAuthDbPassword7';
SELECT format('CREATE ROLE %I', 'orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'orders_user')\gexec
ALTER ROLE orders_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwOrdersDbPassword7';

-- Database shop_db
SELECT format('CREATE DATABASE %I', 'shop_db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'shop_db')\gexec
REVOKE ALL ON DATABASE shop_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE shop_db TO auth_user, orders_user;

-- Inside shop_db: schemas, extensions, privileges
\connect shop_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION auth_user;
ALTER SCHEMA auth OWNER TO auth_user;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS orders AUTHORIZATION orders_user;
ALTER SCHEMA orders OWNER TO orders_user;
REVOKE ALL ON SCHEMA orders FROM PUBLIC;
ALTER ROLE auth_user IN DATABASE shop_db SET search_path = auth, public;
ALTER ROLE orders_user IN DATABASE shop_db SET search_path = orders, public;
GRANT USAGE ON SCHEMA auth TO orders_user;
