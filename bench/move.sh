#!/bin/bash
# ovudev move against the same move done by hand, measured in one run on this machine:
#   1,000,000 rows in 3 services (a schema each in one database, 3 tables each) moved to a
#   database per service on the same server, verification (counts and checksums) included,
#   vs  pg_dump -Fc -n <schema> | pg_restore -d <new database>, one schema after another,
#       plus count(*) of every table on both sides (target <= 1.0x).
# OVUDEV_BIN=path runs another build of ovudev through the same bench.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
release_binary
postgres_bindir pg_dump
WORK=$(mktemp -d /tmp/ovudev-bench-move-XXXXXX)
chmod 755 "$WORK"
cleanup() {
    (cd "$WORK/project" 2>/dev/null && "$BIN" down --volumes --scenario dbs >/dev/null 2>&1; "$BIN" down --volumes --scenario schemas >/dev/null 2>&1) || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
mkdir -p "$WORK/project"
cat > "$WORK/project/ovu.topology.json" <<JSON
{
  "project": "bench",
  "servers": { "postgres": { "engine": "postgres", "port": $PORT } },
  "services": { "alpha": { "database": {} }, "beta": { "database": {} }, "gamma": { "database": {} } },
  "scenarios": { "schemas": { "layout": "single-db" }, "dbs": { "layout": "db-per-service" } },
  "defaultScenario": "schemas"
}
JSON
cd "$WORK/project"
"$BIN" up --scenario schemas >/dev/null 2>&1
export PGPASSWORD=$(secret POSTGRES_SUPERUSER_PASSWORD) PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
PSQL="$PGBIN/psql -q -X -v ON_ERROR_STOP=1"
# 1,000,000 rows: per service 200,000 + 100,000 + 33,334 (the last service 33,332), owned by its role.
n=0
for svc in alpha beta gamma; do
    last=33334; [ $svc = gamma ] && last=33332
    $PSQL -d bench_db <<SQL
SET ROLE ${svc}_user;
SET search_path = $svc;
CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), kind text NOT NULL, payload jsonb);
CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[]);
CREATE TABLE notes (id serial PRIMARY KEY, item_id bigint REFERENCES items, body text);
INSERT INTO events (kind, payload) SELECT 'k' || (i % 17), jsonb_build_object('i', i, 's', md5(i::text)) FROM generate_series(1, 200000) i;
INSERT INTO items (name, price, tags) SELECT 'item ' || i, (i % 1000) / 7.0, ARRAY['a' || (i % 5), 'b'] FROM generate_series(1, 100000) i;
INSERT INTO notes (item_id, body) SELECT 1 + i % 100000, repeat('x', i % 50) FROM generate_series(1, $last) i;
SQL
done
rows=$($PSQL -At -d bench_db -c "SELECT (SELECT count(*) FROM alpha.events)+(SELECT count(*) FROM alpha.items)+(SELECT count(*) FROM alpha.notes)+(SELECT count(*) FROM beta.events)+(SELECT count(*) FROM beta.items)+(SELECT count(*) FROM beta.notes)+(SELECT count(*) FROM gamma.events)+(SELECT count(*) FROM gamma.items)+(SELECT count(*) FROM gamma.notes)")
[ "$rows" = 1000000 ] || { echo "made $rows rows, expected 1000000" >&2; exit 1; }
$PSQL -d bench_db -c "VACUUM ANALYZE" >/dev/null
ms() { local t=${EPOCHREALTIME/./}; echo $((10#${t:0:-3})); }

# Baseline: the runbook by hand, one schema after another, counts on both sides.
t0=$(ms)
for svc in alpha beta gamma; do
    $PSQL -d postgres -c "CREATE DATABASE base_$svc" >/dev/null
    "$PGBIN/pg_dump" -Fc -n $svc -d bench_db | "$PGBIN/pg_restore" -d base_$svc
    for t in events items notes; do
        a=$($PSQL -At -d bench_db -c "SELECT count(*) FROM $svc.$t"); b=$($PSQL -At -d base_$svc -c "SELECT count(*) FROM $svc.$t")
        [ "$a" = "$b" ] || { echo "baseline: $svc.$t $a != $b" >&2; exit 1; }
    done
done
t1=$(ms)
BASE=$((t1 - t0))
for svc in alpha beta gamma; do $PSQL -d postgres -c "DROP DATABASE base_$svc" >/dev/null; done
$PSQL -d postgres -c "CHECKPOINT" >/dev/null

t0=$(ms)
"$BIN" move --to dbs --yes > "$WORK/move.out" 2> "$WORK/move.err" || { cat "$WORK/move.out" "$WORK/move.err" >&2; exit 1; }
t1=$(ms)
MOVE=$((t1 - t0))
moved=0
for svc in alpha beta gamma; do
    for t in events items notes; do moved=$((moved + $($PSQL -At -d ${svc}_db -c "SELECT count(*) FROM public.$t"))); done
done
[ "$moved" = 1000000 ] || { echo "moved $moved rows, expected 1000000" >&2; exit 1; }
echo "1,000,000 rows, 3 services × 3 tables, schemas → databases on one server"
echo "baseline (pg_dump -Fc -n | pg_restore, one schema after another, count(*) both sides): ${BASE} ms"
echo "ovudev move (plan, provision, COPY streams in parallel, counts + checksums, switch, check): ${MOVE} ms"
python3 -c "print(f'ratio move/baseline: {$MOVE/$BASE:.2f}x (target <= 1.0x)')"
