-- Rendered by ovudev from ovu.topology.json (project engarde, scenario moved, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Re-runnable: every statement is guarded or idempotent.

-- Users: one per service instance
CREATE USER IF NOT EXISTS 'authservice_user'@'%' IDENTIFIED BY 'pwAuthserviceDbPassword7';
ALTER USER 'authservice_user'@'%' IDENTIFIED BY 'pwAuthserviceDbPassword7' WITH MAX_USER_CONNECTIONS 12;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'authservice_user'@'%';

-- Database authservice
CREATE DATABASE IF NOT EXISTS `authservice` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `authservice`.* TO 'authservice_user'@'%';
