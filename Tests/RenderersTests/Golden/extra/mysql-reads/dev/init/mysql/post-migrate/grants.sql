-- Rendered by ovudev from ovu.topology.json (project shop, scenario dev, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Run after the migrations (the tables must exist); re-runnable.

-- Database catalog_db: reads
GRANT SELECT ON `catalog_db`.`prices` TO 'orders_user'@'%';
GRANT SELECT ON `catalog_db`.`products` TO 'orders_user'@'%';
GRANT SELECT ON `catalog_db`.`products` TO 'search_user'@'%';
