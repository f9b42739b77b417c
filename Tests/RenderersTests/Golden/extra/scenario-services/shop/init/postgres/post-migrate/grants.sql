-- Rendered by ovudev from ovu.topology.json (project team, scenario shop, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database team_db
\connect team_db
GRANT SELECT ON TABLE auth.users TO orders_user;
GRANT SELECT ON ALL TABLES IN SCHEMA auth TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA orders TO analytics;
