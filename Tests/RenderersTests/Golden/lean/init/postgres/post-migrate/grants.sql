-- Rendered by ovudev from ovu.topology.json (project ovu, scenario lean, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database ovu_db
\connect ovu_db
GRANT SELECT ON TABLE public.ulm_roles TO aam_user, sam_user;
GRANT SELECT ON TABLE public.ulm_users TO aam_user, sam_user;
