-- Rendered by ovudev from ovu.topology.json (project shop, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database auth_db
\connect auth_db
GRANT SELECT ON TABLE public.users TO orders_user;
