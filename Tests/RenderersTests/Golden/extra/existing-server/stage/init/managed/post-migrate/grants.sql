-- Rendered by ovudev from ovu.topology.json (project shop, scenario stage, layout single-db). Do not edit: change the topology and run `ovudev render`.
-- Table-level grants, applied after migrations (the tables do not exist before them).
-- Re-runnable: GRANT is idempotent.

-- Database shop_db
\connect shop_db
GRANT SELECT ON TABLE auth.users TO orders_user;
