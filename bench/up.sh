#!/bin/bash
# ovudev up against the same work done by hand, measured in one run on this machine:
#   cold up      vs  initdb + pg_ctl start + redis-server + psql -f init-db.sql (target <= 0.5x)
#                    (a new stack; the pristine-cluster cache is made once before, and that
#                    first up on this machine is shown on its own)
#   warm up      vs  cold up (target <= 0.05x)
#   seed 1M rows vs  psql \copy of the same CSV (target >= 1.0x the rows/s)
#   seed 4 services x 250,000 rows vs psql \copy of the 4 files one after another (target >= 1.5x)
#   peak memory of `ovudev up`
# The bench project is the example topology without migrations, commands and seeds, so that
# both sides do the same work: servers plus provisioning.
# OVUDEV_BIN=path runs another build of ovudev (e.g. a branch's base) through the same bench.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
release_binary
postgres_bindir initdb
RUNS=${RUNS:-3}
WORK=$(mktemp -d /tmp/ovudev-bench-XXXXXX)
chmod 755 "$WORK"
# A cache of its own: the first up below makes it, whatever this machine's cache holds.
export OVUDEV_CACHE_DIR="$WORK/cache"
AS=""
if [ "$(id -u)" = 0 ]; then AS="runuser -u postgres --"; fi
cleanup() {
    (cd "$WORK/project" 2>/dev/null && "$BIN" down --volumes >/dev/null 2>&1) || true
    $AS "$PGBIN/pg_ctl" -D "$WORK/base/data" -m immediate stop >/dev/null 2>&1 || true
    redis-cli -p "$REDISPORT" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT_=$(free_port); REDISPORT=$(free_port)
mkdir -p "$WORK/project"
python3 - "$WORK/project" "$PGPORT_" "$REDISPORT" <<'PY'
import json, sys
out, pg, redis = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = json.load(open("ovu.topology.json"))
t["servers"] = {"postgres": {"engine": "postgres", "port": pg}, "redis": {"engine": "redis", "port": redis}}
for name, s in t["services"].items():
    for key in ("migrate", "command", "health", "seed", "path"):
        s.pop(key, None)
    s.pop("port", None)
    s.pop("dependsOn", None)
t["scenarios"] = {"stage": {"layout": "db-per-service", "analytics": True}}
t["defaultScenario"] = "stage"
json.dump(t, open(f"{out}/ovu.topology.json", "w"), indent=1)
PY
cd "$WORK/project"
"$BIN" render --out "$WORK/bundle" >/dev/null
SUPERPW=$(secret POSTGRES_SUPERUSER_PASSWORD)
# Wall-clock milliseconds from bash itself (no process to start between the two readings).
ms() { local t=${EPOCHREALTIME/./}; echo $((10#${t:0:-3})); }

baseline() {
    local d="$WORK/base"
    rm -rf "$d"; mkdir -p "$d"; chmod 755 "$d"
    printf '%s\n' "$SUPERPW" > "$d/pw"
    [ -n "$AS" ] && chown -R postgres: "$d"
    $AS "$PGBIN/initdb" -D "$d/data" -U postgres --pwfile="$d/pw" --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-instructions >/dev/null
    $AS "$PGBIN/pg_ctl" -D "$d/data" -l "$d/pg.log" -w -o "-c listen_addresses=127.0.0.1 -p $PGPORT_ -c unix_socket_directories=$d" start >/dev/null
    $AS redis-server --bind 127.0.0.1 --port "$REDISPORT" --daemonize yes --pidfile "$d/redis.pid" --dir "$d" --databases 16 --logfile "$d/redis.log" >/dev/null
    until redis-cli -p "$REDISPORT" ping >/dev/null 2>&1; do sleep 0.01; done
    PGPASSWORD=$SUPERPW psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U postgres -d postgres -v ON_ERROR_STOP=1 -f "$WORK/bundle/init/postgres/init-db.sql" >/dev/null
}
baseline_stop() {
    $AS "$PGBIN/pg_ctl" -D "$WORK/base/data" -m fast -w stop >/dev/null
    redis-cli -p "$REDISPORT" shutdown nosave >/dev/null 2>&1 || true
    while redis-cli -p "$REDISPORT" ping >/dev/null 2>&1; do sleep 0.01; done
}
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

# The first up on this machine: makes the pristine cluster (initdb) in the cache.
t0=$(ms); "$BIN" up --no-check >/dev/null 2>&1; t1=$(ms); FIRST=$((t1 - t0))
"$BIN" down --volumes >/dev/null 2>&1
base_times=(); cold_times=(); warm_times=()
for _ in $(seq "$RUNS"); do
    t0=$(ms); baseline; t1=$(ms); baseline_stop; base_times+=($((t1 - t0)))
    t0=$(ms); "$BIN" up --no-check >/dev/null 2>&1; t1=$(ms); cold_times+=($((t1 - t0)))
    t0=$(ms); "$BIN" up --no-check >/dev/null 2>&1; t1=$(ms); warm_times+=($((t1 - t0)))
    "$BIN" down --volumes >/dev/null 2>&1
done
B=$(printf '%s\n' "${base_times[@]}" | median); C=$(printf '%s\n' "${cold_times[@]}" | median); W=$(printf '%s\n' "${warm_times[@]}" | median)
echo "up runs (ms): baseline ${base_times[*]}; cold up ${cold_times[*]}; warm up ${warm_times[*]}"
echo "baseline (initdb + pg_ctl + redis-server + psql -f): ${B} ms   cold up: ${C} ms   warm up: ${W} ms   (medians of $RUNS)"
echo "first up on this machine (makes the cluster cache): ${FIRST} ms"
python3 -c "b,c,w=$B,$C,$W; print(f'cold up / baseline = {c/b:.2f}x (target <= 0.5x); warm up / cold up = {w/c:.3f}x (target <= 0.05x)')"

# Peak memory of a cold up (with the check), from the kernel's accounting of the child.
python3 - "$BIN" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "up"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(f"peak memory of ovudev up: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f} MiB")
PY

# Seed 1,000,000 rows: ovudev seed vs psql \copy into the same table.
python3 - <<'PY'
import random
with open("big.csv", "w") as f:
    f.write("id,user_id,balance\n")
    r = random.Random(1)
    for i in range(1, 1_000_001):
        f.write(f"{i},{r.randint(1, 10**6)},{r.randint(0, 10**6)/100}\n")
PY
mkdir -p seeds/aam
AAMPW=$(secret AAM_DB_PASSWORD)
PSQL_AAM="psql -X -q -h 127.0.0.1 -p $PGPORT_ -U aam_user -d aam_db -v ON_ERROR_STOP=1"
export PGPASSWORD=$AAMPW
$PSQL_AAM -c "CREATE TABLE accounts (id integer PRIMARY KEY, user_id integer NOT NULL, balance numeric NOT NULL)"
python3 - <<'PY'
import json
t = json.load(open("ovu.topology.json"))
t["services"]["aam"]["seed"] = ["seeds/aam"]
json.dump(t, open("ovu.topology.json", "w"), indent=1)
PY
# Both sides start from the same state: an empty table, no ovudev_seeds, a checkpoint and the
# page cache written back; which side goes first alternates.
prepare() {
    $PSQL_AAM -c "TRUNCATE accounts" -c "DROP TABLE IF EXISTS ovudev_seeds" 2>/dev/null
    PGPASSWORD=$SUPERPW psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U postgres -d aam_db -c CHECKPOINT
    sync
}
run_psql() {
    prepare
    t0=$(ms); $PSQL_AAM -c "\copy accounts (id, user_id, balance) FROM 'big.csv' WITH (FORMAT csv, HEADER true)"; t1=$(ms); copy_times+=($((t1 - t0)))
}
run_seed() {
    prepare
    t0=$(ms); "$BIN" seed aam >/dev/null 2>&1; t1=$(ms); seed_times+=($((t1 - t0)))
    rows=$($PSQL_AAM -At -c "SELECT count(*) FROM accounts")
    [ "$rows" = 1000000 ] || { echo "seed loaded $rows rows, expected 1000000" >&2; exit 1; }
}
cp big.csv seeds/aam/01-accounts.csv
copy_times=(); seed_times=()
for i in $(seq "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then run_psql; run_seed; else run_seed; run_psql; fi
done
P=$(printf '%s\n' "${copy_times[@]}" | median); S=$(printf '%s\n' "${seed_times[@]}" | median)
echo "seed runs (ms): psql \\copy ${copy_times[*]}; ovudev seed ${seed_times[*]}"
python3 -c "p,s=$P,$S; print(f'seed 1,000,000 rows: psql \\\\copy {p} ms ({1e6/p*1000:,.0f} rows/s), ovudev seed {s} ms ({1e6/s*1000:,.0f} rows/s): {p/s:.2f}x the rows/s of psql (target >= 1.0x)')"

# Seed 4 services x 250,000 rows: ovudev seed (the services load at once) vs psql \copy of the
# same 4 files one after another, each as its service's role into its own database.
SERVICES="aam sam smm ulm"
python3 - $SERVICES <<'PY'
import json, os, random, sys
t = json.load(open("ovu.topology.json"))
for n, name in enumerate(sys.argv[1:]):
    os.makedirs(f"seeds4/{name}", exist_ok=True)
    with open(f"seeds4/{name}/01-ledger.csv", "w") as f:
        f.write("id,user_id,balance\n")
        r = random.Random(n)
        for i in range(1, 250_001):
            f.write(f"{i},{r.randint(1, 10**6)},{r.randint(0, 10**6)/100}\n")
    t["services"][name]["seed"] = [f"seeds4/{name}"]
json.dump(t, open("ovu.topology.json", "w"), indent=1)
PY
declare -A PW
for s in $SERVICES; do
    PW[$s]=$(secret "${s^^}_DB_PASSWORD")
    PGPASSWORD=${PW[$s]} psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U "${s}_user" -d "${s}_db" -v ON_ERROR_STOP=1 \
        -c "CREATE TABLE ledger (id integer PRIMARY KEY, user_id integer NOT NULL, balance numeric NOT NULL)"
done
prepare4() {
    for s in $SERVICES; do
        PGPASSWORD=${PW[$s]} psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U "${s}_user" -d "${s}_db" -c "TRUNCATE ledger" -c "DROP TABLE IF EXISTS ovudev_seeds" 2>/dev/null
    done
    PGPASSWORD=$SUPERPW psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U postgres -d postgres -c CHECKPOINT
    sync
}
run_psql4() {
    prepare4
    t0=$(ms)
    for s in $SERVICES; do
        PGPASSWORD=${PW[$s]} psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U "${s}_user" -d "${s}_db" -v ON_ERROR_STOP=1 \
            -c "\\copy ledger (id, user_id, balance) FROM 'seeds4/$s/01-ledger.csv' WITH (FORMAT csv, HEADER true)"
    done
    t1=$(ms); copy4_times+=($((t1 - t0)))
}
run_seed4() {
    prepare4
    t0=$(ms); "$BIN" seed >/dev/null 2>&1; t1=$(ms); seed4_times+=($((t1 - t0)))
    for s in $SERVICES; do
        rows=$(PGPASSWORD=${PW[$s]} psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U "${s}_user" -d "${s}_db" -At -c "SELECT count(*) FROM ledger")
        [ "$rows" = 250000 ] || { echo "seed loaded $rows rows into $s, expected 250000" >&2; exit 1; }
    done
}
rm -rf seeds/aam
copy4_times=(); seed4_times=()
for i in $(seq "$RUNS"); do
    if [ $((i % 2)) = 1 ]; then run_psql4; run_seed4; else run_seed4; run_psql4; fi
done
P4=$(printf '%s\n' "${copy4_times[@]}" | median); S4=$(printf '%s\n' "${seed4_times[@]}" | median)
echo "seed 4x250k runs (ms): psql \\copy one after another ${copy4_times[*]}; ovudev seed ${seed4_times[*]}"
python3 -c "p,s=$P4,$S4; print(f'seed 4 services x 250,000 rows: psql \\\\copy one after another {p} ms ({1e6/p*1000:,.0f} rows/s), ovudev seed {s} ms ({1e6/s*1000:,.0f} rows/s): {p/s:.2f}x the rows/s of psql (target >= 1.5x)')"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
