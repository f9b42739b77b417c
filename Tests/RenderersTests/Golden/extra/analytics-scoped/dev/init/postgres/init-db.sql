-- Rendered by ovudev from ovu.topology.json (project league, scenario dev, layout single-db). Do not edit: change the topology and run `ovudev render`.
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

-- Database league_db
SELECT format('CREATE DATABASE %I', 'league_db') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'league_db')\gexec
REVOKE ALL ON DATABASE league_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE league_db TO billing_user, madansara_user, onside_user, sankore_user;
GRANT CONNECT ON DATABASE league_db TO analytics_readonly;

-- Inside league_db: schemas, extensions, privileges
\connect league_db
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS billing AUTHORIZATION billing_user;
ALTER SCHEMA billing OWNER TO billing_user;
REVOKE ALL ON SCHEMA billing FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS madansara AUTHORIZATION madansara_user;
ALTER SCHEMA madansara OWNER TO madansara_user;
REVOKE ALL ON SCHEMA madansara FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS onside AUTHORIZATION onside_user;
ALTER SCHEMA onside OWNER TO onside_user;
REVOKE ALL ON SCHEMA onside FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS sankore AUTHORIZATION sankore_user;
ALTER SCHEMA sankore OWNER TO sankore_user;
REVOKE ALL ON SCHEMA sankore FROM PUBLIC;
ALTER ROLE billing_user IN DATABASE league_db SET search_path = billing, public;
ALTER ROLE madansara_user IN DATABASE league_db SET search_path = madansara, public;
ALTER ROLE onside_user IN DATABASE league_db SET search_path = onside, public;
ALTER ROLE sankore_user IN DATABASE league_db SET search_path = sankore, public;
GRANT USAGE ON SCHEMA madansara TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA madansara TO analytics_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE madansara_user IN SCHEMA madansara GRANT SELECT ON TABLES TO analytics_readonly;
GRANT USAGE ON SCHEMA onside TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA onside TO analytics_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE onside_user IN SCHEMA onside GRANT SELECT ON TABLES TO analytics_readonly;
GRANT USAGE ON SCHEMA sankore TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA sankore TO analytics_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE sankore_user IN SCHEMA sankore GRANT SELECT ON TABLES TO analytics_readonly;
