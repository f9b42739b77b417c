-- Rendered by ovudev from ovu.topology.json (project ovu, scenario stage, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database aam_db
\connect aam_db
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;

-- Database sam_db
\connect sam_db
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;

-- Database smm_db
\connect smm_db
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;

-- Database ulm_db
\connect ulm_db
GRANT SELECT ON TABLE public.roles TO aam_user, sam_user;
GRANT SELECT ON TABLE public.users TO aam_user, sam_user;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
