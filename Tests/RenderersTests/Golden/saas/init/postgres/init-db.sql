-- Rendered by ovudev from ovu.topology.json (project ovu, scenario saas, layout per-tenant). Do not edit: change the topology and run `ovudev render`.
-- Runs with psql as the superuser (-v ON_ERROR_STOP=1), and again on every deploy: every
-- statement is guarded or idempotent, so a second run changes nothing.

-- Roles: one login per service instance
\connect postgres
SELECT format('CREATE ROLE %I', 'acme_aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_aam_user')\gexec
ALTER ROLE acme_aam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAcmeAamDbPassword7';
SELECT format('CREATE ROLE %I', 'acme_sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_sam_user')\gexec
ALTER ROLE acme_sam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAcmeSamDbPassword7';
SELECT format('CREATE ROLE %I', 'acme_smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_smm_user')\gexec
ALTER ROLE acme_smm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwAcmeSmmDbPassword7';
SELECT format('CREATE ROLE %I', 'acme_ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'acme_ulm_user')\gexec
ALTER ROLE acme_ulm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 30 PASSWORD 'pwAcmeUlmDbPassword7';
SELECT format('CREATE ROLE %I', 'globex_aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'globex_aam_user')\gexec
ALTER ROLE globex_aam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwGlobexAamDbPassword7';
SELECT format('CREATE ROLE %I', 'globex_sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'globex_sam_user')\gexec
ALTER ROLE globex_sam_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwGlobexSamDbPassword7';
SELECT format('CREATE ROLE %I', 'globex_smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'globex_smm_user')\gexec
ALTER ROLE globex_smm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15 PASSWORD 'pwGlobexSmmDbPassword7';
SELECT format('CREATE ROLE %I', 'globex_ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'globex_ulm_user')\gexec
ALTER ROLE globex_ulm_user WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 30 PASSWORD 'pwGlobexUlmDbPassword7';

-- Database acme_aam_db (tenant acme)
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_aam_db', 'acme_aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_aam_db')\gexec
ALTER DATABASE acme_aam_db OWNER TO acme_aam_user;
REVOKE ALL ON DATABASE acme_aam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_aam_db TO acme_aam_user;

-- Inside acme_aam_db: schemas, extensions, privileges
\connect acme_aam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_aam_user;

-- Database acme_sam_db (tenant acme)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_sam_db', 'acme_sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_sam_db')\gexec
ALTER DATABASE acme_sam_db OWNER TO acme_sam_user;
REVOKE ALL ON DATABASE acme_sam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_sam_db TO acme_sam_user;

-- Inside acme_sam_db: schemas, extensions, privileges
\connect acme_sam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_sam_user;

-- Database acme_smm_db (tenant acme)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_smm_db', 'acme_smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_smm_db')\gexec
ALTER DATABASE acme_smm_db OWNER TO acme_smm_user;
REVOKE ALL ON DATABASE acme_smm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_smm_db TO acme_smm_user;

-- Inside acme_smm_db: schemas, extensions, privileges
\connect acme_smm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_smm_user;

-- Database acme_ulm_db (tenant acme)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'acme_ulm_db', 'acme_ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'acme_ulm_db')\gexec
ALTER DATABASE acme_ulm_db OWNER TO acme_ulm_user;
REVOKE ALL ON DATABASE acme_ulm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE acme_ulm_db TO acme_ulm_user;
GRANT CONNECT ON DATABASE acme_ulm_db TO acme_aam_user, acme_sam_user;

-- Inside acme_ulm_db: schemas, extensions, privileges
\connect acme_ulm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO acme_ulm_user;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
GRANT USAGE ON SCHEMA public TO acme_aam_user, acme_sam_user;

-- Database globex_aam_db (tenant globex)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'globex_aam_db', 'globex_aam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'globex_aam_db')\gexec
ALTER DATABASE globex_aam_db OWNER TO globex_aam_user;
REVOKE ALL ON DATABASE globex_aam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE globex_aam_db TO globex_aam_user;

-- Inside globex_aam_db: schemas, extensions, privileges
\connect globex_aam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO globex_aam_user;

-- Database globex_sam_db (tenant globex)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'globex_sam_db', 'globex_sam_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'globex_sam_db')\gexec
ALTER DATABASE globex_sam_db OWNER TO globex_sam_user;
REVOKE ALL ON DATABASE globex_sam_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE globex_sam_db TO globex_sam_user;

-- Inside globex_sam_db: schemas, extensions, privileges
\connect globex_sam_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO globex_sam_user;

-- Database globex_smm_db (tenant globex)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'globex_smm_db', 'globex_smm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'globex_smm_db')\gexec
ALTER DATABASE globex_smm_db OWNER TO globex_smm_user;
REVOKE ALL ON DATABASE globex_smm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE globex_smm_db TO globex_smm_user;

-- Inside globex_smm_db: schemas, extensions, privileges
\connect globex_smm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO globex_smm_user;

-- Database globex_ulm_db (tenant globex)
\connect postgres
SELECT format('CREATE DATABASE %I OWNER %I', 'globex_ulm_db', 'globex_ulm_user') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'globex_ulm_db')\gexec
ALTER DATABASE globex_ulm_db OWNER TO globex_ulm_user;
REVOKE ALL ON DATABASE globex_ulm_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE globex_ulm_db TO globex_ulm_user;
GRANT CONNECT ON DATABASE globex_ulm_db TO globex_aam_user, globex_sam_user;

-- Inside globex_ulm_db: schemas, extensions, privileges
\connect globex_ulm_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO globex_ulm_user;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
GRANT USAGE ON SCHEMA public TO globex_aam_user, globex_sam_user;
