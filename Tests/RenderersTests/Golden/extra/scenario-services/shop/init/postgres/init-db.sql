-- Rendered by ovudev from ovu.topology.json (project team, scenario shop, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance, and the read-only analytics role
\connect postgres
SELECT format('CREATE ROLE %I', 'analytics') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'analytics')\gexec
ALTER ROLE analytics WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5 PASSWORD 'pwAnalyticsRolePassword7';
SELECT format('CREATE ROLE %I', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_user')\gexec
ALTER ROLE auth_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAuthDbPassword7';
SELECT format('CREATE ROLE %I', 'orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'orders_user')\gexec
ALTER ROLE orders_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwOrdersDbPassword7';

-- Database team_db
SELECT format('CREATE DATABASE %I', 'team_db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'team_db')\gexec
REVOKE ALL ON DATABASE team_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE team_db TO auth_user, orders_user;
GRANT CONNECT ON DATABASE team_db TO analytics;

-- Inside team_db: schemas, extensions, privileges
\connect team_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION auth_user;
ALTER SCHEMA auth OWNER TO auth_user;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS orders AUTHORIZATION orders_user;
ALTER SCHEMA orders OWNER TO orders_user;
REVOKE ALL ON SCHEMA orders FROM PUBLIC;
ALTER ROLE auth_user IN DATABASE team_db SET search_path = auth, public;
ALTER ROLE orders_user IN DATABASE team_db SET search_path = orders, public;
GRANT USAGE ON SCHEMA auth TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA auth TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE auth_user IN SCHEMA auth GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA orders TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA orders TO analytics;
ALTER DEFAULT PRIVILEGES FOR ROLE orders_user IN SCHEMA orders GRANT SELECT ON TABLES TO analytics;
GRANT USAGE ON SCHEMA auth TO orders_user;
