-- Rendered by ovudev from ovu.topology.json (project league, scenario stage, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database madansara_db
\connect madansara_db
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics_readonly;

-- Database onside_db
\connect onside_db
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics_readonly;
