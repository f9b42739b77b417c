#!/bin/bash
# `ovudev backup` of a 1,000,000-row database vs plain `pg_dump -Fc` of the same database, on
# the same server, in the same run (target: ovudev <= 1.1x the time of pg_dump).
# The stack is the example topology's stage scenario without migrations, commands and seeds,
# started natively by ovudev itself; the rows go into aam_db. The two sides alternate which
# goes first; RUNS rounds (default 3), medians. Both write a custom-format dump at the default
# compression; the sizes are printed too, to show that both did the same work.
#   RUNS=5 bash bench/backup.sh
#   SCRATCH=.build-bench bash bench/backup.sh   # build in another scratch folder
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
SWIFTFLAGS=(-c release)
[ -n "${SCRATCH:-}" ] && SWIFTFLAGS+=(--scratch-path "$SCRATCH")
swift build "${SWIFTFLAGS[@]}" --product ovudev >/dev/null
BIN=$(swift build "${SWIFTFLAGS[@]}" --show-bin-path)/ovudev
RUNS=${RUNS:-3}
ROWS=${ROWS:-1000000}
WORK=$(mktemp -d /tmp/ovudev-bench-backup-XXXXXX)
chmod 755 "$WORK"
cleanup() {
    (cd "$WORK/project" 2>/dev/null && "$BIN" down --volumes >/dev/null 2>&1) || true
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
    for key in ("migrate", "command", "health", "seed", "path", "port", "dependsOn"):
        s.pop(key, None)
t["scenarios"] = {"stage": {"layout": "db-per-service"}}
t["defaultScenario"] = "stage"
json.dump(t, open(f"{out}/ovu.topology.json", "w"), indent=1)
PY
cd "$WORK/project"
"$BIN" up --no-check >/dev/null 2>&1 || { "$BIN" up --no-check; exit 1; }

# The baseline's password file, private, as pg_dump reads it (PGPASSFILE, never a command line).
umask 077
printf '127.0.0.1:%s:*:postgres:%s\n' "$PGPORT_" "$(secret POSTGRES_SUPERUSER_PASSWORD)" > "$WORK/pgpass"
printf '127.0.0.1:%s:*:aam_user:%s\n' "$PGPORT_" "$(secret AAM_DB_PASSWORD)" > "$WORK/pgpass-aam"
umask 022
PGPASSFILE="$WORK/pgpass-aam" psql -X -q -w -h 127.0.0.1 -p "$PGPORT_" -U aam_user -d aam_db -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE accounts (id integer PRIMARY KEY, user_id integer NOT NULL, balance numeric NOT NULL, note text);
INSERT INTO accounts SELECT g, (g::bigint * 7919 % 1000003)::integer, (g % 100000) / 100.0, 'account ' || g FROM generate_series(1, $ROWS) g;
ANALYZE accounts;
SQL
rows=$(PGPASSFILE="$WORK/pgpass-aam" psql -X -At -w -h 127.0.0.1 -p "$PGPORT_" -U aam_user -d aam_db -c "SELECT count(*) FROM accounts")
[ "$rows" = "$ROWS" ] || { echo "loaded $rows rows, expected $ROWS" >&2; exit 1; }
TARGET_DIR="backups/postgres/aam_db"

now_ms() { local t=$EPOCHREALTIME; echo $(( ${t/./} / 1000 )); }
run_pg_dump() {
    rm -f "$WORK/plain.dump"
    local t0; t0=$(now_ms)
    env -u PGPASSWORD PGPASSFILE="$WORK/pgpass" pg_dump -h 127.0.0.1 -p "$PGPORT_" -U postgres -w -d aam_db -Fc -f "$WORK/plain.dump"
    echo $(( $(now_ms) - t0 ))
}
run_ovudev() {
    rm -rf "$TARGET_DIR"
    local t0; t0=$(now_ms)
    "$BIN" backup aam_db >"$WORK/ovudev.out" 2>&1 || { cat "$WORK/ovudev.out" >&2; exit 1; }
    echo $(( $(now_ms) - t0 ))
}
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

# One untimed round of each: the table's pages in the OS cache for both sides alike.
run_pg_dump >/dev/null; run_ovudev >/dev/null
plain_times=(); ovudev_times=()
for i in $(seq "$RUNS"); do
    if (( i % 2 )); then
        plain_times+=("$(run_pg_dump)"); ovudev_times+=("$(run_ovudev)")
    else
        ovudev_times+=("$(run_ovudev)"); plain_times+=("$(run_pg_dump)")
    fi
done
dump=$(ls "$TARGET_DIR"/aam_db-*.dump)
P=$(printf '%s\n' "${plain_times[@]}" | median); O=$(printf '%s\n' "${ovudev_times[@]}" | median)
PS=$(stat -c %s "$WORK/plain.dump"); OS=$(stat -c %s "$dump")
pg_restore --list "$dump" >/dev/null
echo "backup of $ROWS rows (aam_db): pg_dump -Fc ${P} ms (${PS} bytes), ovudev backup ${O} ms (${OS} bytes)   (medians of $RUNS; all: pg_dump ${plain_times[*]}, ovudev ${ovudev_times[*]})"
python3 -c "p,o=$P,$O; print(f'ovudev backup / pg_dump -Fc = {o/p:.2f}x (target <= 1.1x)')"
