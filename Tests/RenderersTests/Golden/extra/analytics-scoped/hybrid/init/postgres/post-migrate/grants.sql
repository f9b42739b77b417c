-- Rendered by ovudev from ovu.topology.json (project league, scenario hybrid, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database sankore_db
\connect sankore_db
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analytics;
