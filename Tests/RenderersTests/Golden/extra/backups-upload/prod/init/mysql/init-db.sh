#!/bin/sh
# Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout mixed). Do not edit: change the topology and run `ovudev render`.
# Passwords come from the environment (secrets: external); none is written in this bundle.
set -eu
sql_literal() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }
: "${SAM_DB_PASSWORD:?SAM_DB_PASSWORD must be set (see .env.example)}"
SAM_DB_PASSWORD_SQL=$(sql_literal "$SAM_DB_PASSWORD")
MYSQL_PWD="${MYSQL_ROOT_PASSWORD}" mysql --protocol=socket -uroot <<OVUDEV_SQL
-- Rendered by ovudev from ovu.topology.json (project ovu, scenario prod, layout mixed). Do not edit: change the topology and run \`ovudev render\`.
-- Re-runnable: every statement is guarded or idempotent.

-- Users: one per service instance
CREATE USER IF NOT EXISTS 'sam_user'@'%' IDENTIFIED BY '${SAM_DB_PASSWORD_SQL}';
ALTER USER 'sam_user'@'%' IDENTIFIED BY '${SAM_DB_PASSWORD_SQL}' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'sam_user'@'%';

-- Database sam_db
CREATE DATABASE IF NOT EXISTS \`sam_db\` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON \`sam\\_db\`.* TO 'sam_user'@'%';
OVUDEV_SQL
