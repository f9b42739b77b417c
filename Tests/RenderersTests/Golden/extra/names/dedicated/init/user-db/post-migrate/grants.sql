-- Rendered by ovudev from ovu.topology.json (project engarde, scenario dedicated, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database user_db
\connect user_db
GRANT SELECT ON TABLE public.users TO web_user;
