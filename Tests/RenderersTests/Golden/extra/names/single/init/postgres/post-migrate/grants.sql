-- Rendered by ovudev from ovu.topology.json (project engarde, scenario single, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database engarde
\connect engarde
GRANT SELECT ON TABLE madansara.users TO web_user;
