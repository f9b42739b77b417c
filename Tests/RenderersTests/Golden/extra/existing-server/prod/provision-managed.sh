#!/bin/bash
# Rendered by ovudev from ovu.topology.json (project shop, scenario prod, layout db-per-service). Do not edit: change the topology and run `ovudev render`.
# Provisions server managed, an existing PostgreSQL at shop-db.internal.example.com:5433 that this bundle does not run:
# roles, databases, schemas and grants from init/managed/init-db.sql (re-runnable: run it on every deploy).
# After the migrations, `provision-managed.sh --grants` applies the table grants of post-migrate/grants.sql.
# The admin login is the URL in OVU_MANAGED_ADMIN_URL, e.g. postgresql://ADMIN:PASSWORD@shop-db.internal.example.com:5433/postgres?sslmode=require;
# its password reaches psql through PGPASSWORD, never on a command line, and is written nowhere.
set -euo pipefail
: "${OVU_MANAGED_ADMIN_URL:?OVU_MANAGED_ADMIN_URL must be set to the admin URL of server managed, e.g. postgresql://ADMIN:PASSWORD@shop-db.internal.example.com:5433/postgres}"
: "${AUTH_DB_PASSWORD:?AUTH_DB_PASSWORD must be set (see .env.example)}"
: "${ORDERS_DB_PASSWORD:?ORDERS_DB_PASSWORD must be set (see .env.example)}"
here=$(cd "$(dirname "$0")" && pwd)
url=$OVU_MANAGED_ADMIN_URL
re='^(postgres(ql)?://)([^:@/?]*)(:([^@/?]*))?@(.*)$'
if [[ $url =~ $re ]]; then
  password=${BASH_REMATCH[5]}
  url="${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[6]}"
  if [[ -n $password ]]; then PGPASSWORD=$(printf '%b' "${password//%/\\x}"); export PGPASSWORD; fi
fi
export PGAPPNAME=ovudev-provision
file=init/managed/init-db.sql
if [[ ${1:-} == --grants ]]; then file=init/managed/post-migrate/grants.sql; fi
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet -v auth_db_password="$AUTH_DB_PASSWORD" -v orders_db_password="$ORDERS_DB_PASSWORD" -d "$url" -f "$here/$file"
echo "provision-managed.sh: applied $file to managed"
