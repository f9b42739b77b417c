-- Rendered by ovudev from ovu.topology.json (project ovu, scenario dev, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database ovu_db
\connect ovu_db
GRANT SELECT ON TABLE ulm.roles TO aam_user, sam_user;
GRANT SELECT ON TABLE ulm.users TO aam_user, sam_user;
GRANT SELECT ON ALL TABLES IN SCHEMA aam TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA sam TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA smm TO analytics;
GRANT SELECT ON ALL TABLES IN SCHEMA ulm TO analytics;
