-- Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database ulm_db
\connect ulm_db
GRANT SELECT ON TABLE public.roles TO aam_user, sam_user;
GRANT SELECT ON TABLE public.users TO aam_user, sam_user;
