-- Rendered by ovudev from ovu.topology.json (project ovu, scenario saas, layout per-tenant). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database acme_ulm_db
\connect acme_ulm_db
GRANT SELECT ON TABLE public.roles TO acme_aam_user, acme_sam_user;
GRANT SELECT ON TABLE public.users TO acme_aam_user, acme_sam_user;

-- Database globex_ulm_db
\connect globex_ulm_db
GRANT SELECT ON TABLE public.roles TO globex_aam_user, globex_sam_user;
GRANT SELECT ON TABLE public.users TO globex_aam_user, globex_sam_user;
