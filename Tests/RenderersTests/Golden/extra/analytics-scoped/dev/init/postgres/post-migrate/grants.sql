-- Rendered by ovudev from ovu.topology.json (project league, scenario dev, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database league_db
\connect league_db
GRANT SELECT ON ALL TABLES IN SCHEMA madansara TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA onside TO analytics_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA sankore TO analytics_readonly;
