-- Rendered by ovudev from ovu.topology.json (project league, scenario hybrid, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Re-runnable: every statement is guarded or idempotent.

-- Users: one per service instance
CREATE USER IF NOT EXISTS 'analytics'@'%' IDENTIFIED BY 'pwAnalyticsRolePassword7';
ALTER USER 'analytics'@'%' IDENTIFIED BY 'pwAnalyticsRolePassword7' WITH MAX_USER_CONNECTIONS 5;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'analytics'@'%';
CREATE USER IF NOT EXISTS 'billing_user'@'%' IDENTIFIED BY 'pwBillingDbPassword7';
ALTER USER 'billing_user'@'%' IDENTIFIED BY 'pwBillingDbPassword7' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'billing_user'@'%';
CREATE USER IF NOT EXISTS 'onside_user'@'%' IDENTIFIED BY 'pwOnsideDbPassword7';
ALTER USER 'onside_user'@'%' IDENTIFIED BY 'pwOnsideDbPassword7' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'onside_user'@'%';

-- Database billing_db
CREATE DATABASE IF NOT EXISTS `billing_db` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `billing\_db`.* TO 'billing_user'@'%';

-- Database onside_db
CREATE DATABASE IF NOT EXISTS `onside_db` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `onside\_db`.* TO 'onside_user'@'%';
GRANT SELECT ON `onside\_db`.* TO 'analytics'@'%';
