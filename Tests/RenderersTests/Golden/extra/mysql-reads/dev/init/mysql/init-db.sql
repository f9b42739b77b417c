-- Rendered by ovudev from ovu.topology.json (project shop, scenario dev, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Re-runnable: every statement is guarded or idempotent.

-- Users: one per service instance
CREATE USER IF NOT EXISTS 'catalog_user'@'%' IDENTIFIED BY 'pwCatalogDbPassword7';
ALTER USER 'catalog_user'@'%' IDENTIFIED BY 'pwCatalogDbPassword7' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'catalog_user'@'%';
CREATE USER IF NOT EXISTS 'orders_user'@'%' IDENTIFIED BY 'pwOrdersDbPassword7';
ALTER USER 'orders_user'@'%' IDENTIFIED BY 'pwOrdersDbPassword7' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'orders_user'@'%';
CREATE USER IF NOT EXISTS 'search_user'@'%' IDENTIFIED BY 'pwSearchDbPassword7';
ALTER USER 'search_user'@'%' IDENTIFIED BY 'pwSearchDbPassword7' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'search_user'@'%';

-- Database catalog_db
CREATE DATABASE IF NOT EXISTS `catalog_db` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `catalog\_db`.* TO 'catalog_user'@'%';

-- Database search_db
CREATE DATABASE IF NOT EXISTS `search_db` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `search\_db`.* TO 'search_user'@'%';
