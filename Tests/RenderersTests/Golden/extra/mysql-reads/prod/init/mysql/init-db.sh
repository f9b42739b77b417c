#!/bin/sh
# Rendered by ovudev from ovu.topology.json (project shop, scenario prod, layout mixed). Do not edit: change the topology and run `ovudev render`.
# Passwords come from the environment (secrets: external); none is written in this bundle.
set -eu
sql_literal() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }
: "${CATALOG_DB_PASSWORD:?CATALOG_DB_PASSWORD must be set (see .env.example)}"
CATALOG_DB_PASSWORD_SQL=$(sql_literal "$CATALOG_DB_PASSWORD")
: "${ORDERS_DB_PASSWORD:?ORDERS_DB_PASSWORD must be set (see .env.example)}"
ORDERS_DB_PASSWORD_SQL=$(sql_literal "$ORDERS_DB_PASSWORD")
: "${SEARCH_DB_PASSWORD:?SEARCH_DB_PASSWORD must be set (see .env.example)}"
SEARCH_DB_PASSWORD_SQL=$(sql_literal "$SEARCH_DB_PASSWORD")
MYSQL_PWD="${MYSQL_ROOT_PASSWORD}" mysql --protocol=socket -uroot <<OVUDEV_SQL
-- Rendered by ovudev from ovu.topology.json (project shop, scenario prod, layout mixed). Do not edit: change the topology and run \`ovudev render\`.
-- Re-runnable: every statement is guarded or idempotent.

-- Users: one per service instance
CREATE USER IF NOT EXISTS 'catalog_user'@'%' IDENTIFIED BY '${CATALOG_DB_PASSWORD_SQL}';
ALTER USER 'catalog_user'@'%' IDENTIFIED BY '${CATALOG_DB_PASSWORD_SQL}' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'catalog_user'@'%';
CREATE USER IF NOT EXISTS 'orders_user'@'%' IDENTIFIED BY '${ORDERS_DB_PASSWORD_SQL}';
ALTER USER 'orders_user'@'%' IDENTIFIED BY '${ORDERS_DB_PASSWORD_SQL}' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'orders_user'@'%';
CREATE USER IF NOT EXISTS 'search_user'@'%' IDENTIFIED BY '${SEARCH_DB_PASSWORD_SQL}';
ALTER USER 'search_user'@'%' IDENTIFIED BY '${SEARCH_DB_PASSWORD_SQL}' WITH MAX_USER_CONNECTIONS 15;
REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'search_user'@'%';

-- Database catalog_db
CREATE DATABASE IF NOT EXISTS \`catalog_db\` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON \`catalog\\_db\`.* TO 'catalog_user'@'%';

-- Database search_db
CREATE DATABASE IF NOT EXISTS \`search_db\` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON \`search\\_db\`.* TO 'search_user'@'%';
OVUDEV_SQL
