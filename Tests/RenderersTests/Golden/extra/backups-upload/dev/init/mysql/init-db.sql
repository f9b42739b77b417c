-- Rendered by ovudev from ovu.topology.json (project ovu, scenario dev, layout mixed). Do not edit: change the topology and run `ovudev render`.
-- Re-runnable: every statement is guarded or idempotent.

-- Users: one per service instance
CREATE USER IF NOT EXISTS 'sam_user'@'%' IDENTIFIED BY 'pwSamDbPassword7';
ALTER USER 'sam_user'@'%' IDENTIFIED BY 'pwSamDbPassword7' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'sam_user'@'%';

-- Database sam_db
CREATE DATABASE IF NOT EXISTS `sam_db` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON `sam\_db`.* TO 'sam_user'@'%';
