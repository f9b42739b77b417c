-- Rendered by ovudev from ovu.topology.json (project team, scenario saas, layout per-tenant). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database auth_db
\connect auth_db
GRANT SELECT ON TABLE public.users TO acme_orders_user, globex_orders_user, initech_orders_user;
