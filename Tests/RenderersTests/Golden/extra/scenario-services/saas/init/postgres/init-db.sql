-- Rendered by ovudev from ovu.topology.json (project team, scenario saas, layout per-tenant). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'acme_orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_orders_user')\gexec
ALTER ROLE acme_orders_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAcmeOrdersDbPassword7';
SELECT format('CREATE ROLE %I', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_user')\gexec
ALTER ROLE auth_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAuthDbPassword7';
SELECT format('CREATE ROLE %I', 'globex_orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'globex_orders_user')\gexec
ALTER ROLE globex_orders_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwGlobexOrdersDbPassword7';
SELECT format('CREATE ROLE %I', 'initech_orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'initech_orders_user')\gexec
ALTER ROLE initech_orders_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwInitechOrdersDbPassword7';

-- Database acme_orders_db (tenant acme)
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_orders_db', 'acme_orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_orders_db')\gexec
ALTER DATABASE acme_orders_db OWNER TO acme_orders_user;
REVOKE ALL ON DATABASE acme_orders_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_orders_db TO acme_orders_user;

-- Inside acme_orders_db: schemas, extensions, privileges
\connect acme_orders_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_orders_user;

-- Database auth_db
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'auth_db', 'auth_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'auth_db')\gexec
ALTER DATABASE auth_db OWNER TO auth_user;
REVOKE ALL ON DATABASE auth_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE auth_db TO auth_user;
GRANT CONNECT ON DATABASE auth_db TO acme_orders_user, globex_orders_user, initech_orders_user;

-- Inside auth_db: schemas, extensions, privileges
\connect auth_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO auth_user;
GRANT USAGE ON SCHEMA public TO acme_orders_user, globex_orders_user, initech_orders_user;

-- Database globex_orders_db (tenant globex)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'globex_orders_db', 'globex_orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'globex_orders_db')\gexec
ALTER DATABASE globex_orders_db OWNER TO globex_orders_user;
REVOKE ALL ON DATABASE globex_orders_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE globex_orders_db TO globex_orders_user;

-- Inside globex_orders_db: schemas, extensions, privileges
\connect globex_orders_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO globex_orders_user;

-- Database initech_orders_db (tenant initech)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'initech_orders_db', 'initech_orders_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'initech_orders_db')\gexec
ALTER DATABASE initech_orders_db OWNER TO initech_orders_user;
REVOKE ALL ON DATABASE initech_orders_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE initech_orders_db TO initech_orders_user;

-- Inside initech_orders_db: schemas, extensions, privileges
\connect initech_orders_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO initech_orders_user;
