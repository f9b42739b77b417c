#!/bin/bash
# ovudev snapshot against the other ways back to a known state, measured in one run on this machine,
# on the example project (stage: one PostgreSQL cluster with four service databases, one Redis)
# with 1,000,000 more rows seeded into aam's accounts:
#   snapshot save, snapshot restore
#   snapshot restore  vs  ovudev backup, then `ovudev restore latest <svc> --yes` per service (target <= 0.1x)
#   snapshot restore  vs  down --volumes + up, which seeds again (target <= 0.1x)
# A restore restarts the services: their interpreter's start counts (a pyenv shim as python3
# adds ~60 ms a service against Debian's /usr/bin/python3; PATH decides which one they get).
# (`up` takes the automatic `seeded` snapshot when it loads seeds: the re-seed ratio is printed
# with and without that save's time.)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROOT=$PWD
release_binary
ROWS=${ROWS:-1000000}
WORK=$(mktemp -d /tmp/ovudev-bench-XXXXXX)
chmod 755 "$WORK"
cleanup() {
    (cd "$WORK/project" 2>/dev/null && "$BIN" down --volumes --scenario stage >/dev/null 2>&1) || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$WORK/project"
cp -r "$ROOT/examples" "$WORK/project/"
python3 - "$WORK/project" "$(free_port)" "$(free_port)" "$(free_port)" "$ROWS" <<'PY'
import json, random, socket, sys
out, pg, redis, first, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t = json.load(open("ovu.topology.json"))
t["servers"] = {"postgres": {"engine": "postgres", "version": "15", "port": pg}, "redis": {"engine": "redis", "version": "7", "port": redis}}
for i, name in enumerate(sorted(t["services"])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); t["services"][name]["port"] = s.getsockname()[1]; s.close()
t["scenarios"] = {"stage": {"layout": "db-per-service", "analytics": True}}
t["defaultScenario"] = "stage"
t["backups"]["dir"] = "backups"
json.dump(t, open(f"{out}/ovu.topology.json", "w"), indent=1)
r = random.Random(1)
with open(f"{out}/examples/seeds/aam/02-accounts.csv", "w") as f:
    f.write("id,user_id,balance\n")
    for i in range(1000, 1000 + rows):
        f.write(f"{i},{r.randint(1, 3)},{r.randint(0, 10**6)/100}\n")
PY
cd "$WORK/project"
ms() { local t=${EPOCHREALTIME/./}; echo $((10#${t:0:-3})); }
accounts() {
    local pw; pw=$(secret AAM_DB_PASSWORD)
    PGPASSWORD=$pw psql -X -At -h 127.0.0.1 -p "$(python3 -c 'import json; print(json.load(open("ovu.topology.json"))["servers"]["postgres"]["port"])')" -U aam_user -d aam_db -c "SELECT count(*) FROM accounts"
}

t0=$(ms); "$BIN" up --scenario stage --no-check >/dev/null 2>"$WORK/up.log"; t1=$(ms); UP0=$((t1 - t0))
EXPECTED=$((ROWS + 2))
[ "$(accounts)" = "$EXPECTED" ] || { echo "up seeded $(accounts) accounts, expected $EXPECTED" >&2; exit 1; }

t0=$(ms); "$BIN" snapshot save b1 >"$WORK/save.out" 2>/dev/null; t1=$(ms); SAVE=$((t1 - t0))
# save starts the ready copy in the background; a developer restores minutes later, so the
# restore below is measured once it is there (OVUDEV_SNAPSHOT_READY=off: no ready copy, the
# restore copies the snapshot).
if [ "${OVUDEV_SNAPSHOT_READY:-on}" != off ]; then
    t0=$(ms); for _ in $(seq 600); do [ -d .ovu/stage/snapshots/b1/ready ] && break; sleep 0.1; done; t1=$(ms); READYMS=$((t1 - t0))
    [ -d .ovu/stage/snapshots/b1/ready ] || { echo "the ready copy of b1 was not made within 60 s" >&2; exit 1; }
fi
SIZE=$(sed -n 's/^snapshot b1 of scenario stage: \([^ ]* [^ ]*\) in.*/\1/p' "$WORK/save.out")
# Damage, then the snapshot back.
AAMPW=$(secret AAM_DB_PASSWORD)
PGPORT_=$(python3 -c 'import json; print(json.load(open("ovu.topology.json"))["servers"]["postgres"]["port"])')
PGPASSWORD=$AAMPW psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U aam_user -d aam_db -c "DELETE FROM accounts WHERE id > 500000"
t0=$(ms); "$BIN" snapshot restore b1 --yes >"$WORK/restore.out" 2>/dev/null; t1=$(ms); RESTORE=$((t1 - t0))
[ "$(accounts)" = "$EXPECTED" ] || { echo "snapshot restore left $(accounts) accounts, expected $EXPECTED" >&2; exit 1; }
"$BIN" check --scenario stage >/dev/null 2>&1 || { echo "check failed after snapshot restore" >&2; exit 1; }

# The same state back from dumps: ovudev backup, then ovudev restore latest per service.
t0=$(ms); "$BIN" backup >/dev/null 2>&1; t1=$(ms); BACKUP=$((t1 - t0))
PGPASSWORD=$AAMPW psql -X -q -h 127.0.0.1 -p "$PGPORT_" -U aam_user -d aam_db -c "DELETE FROM accounts WHERE id > 500000"
t0=$(ms)
for svc in ulm aam sam smm; do "$BIN" restore latest "$svc" --yes >/dev/null 2>&1; done
t1=$(ms); DUMPS=$((t1 - t0))
[ "$(accounts)" = "$EXPECTED" ] || { echo "ovudev restore left $(accounts) accounts, expected $EXPECTED" >&2; exit 1; }

# From nothing: down --volumes, then up (initdb, provisioning, migrations, the seeds again).
t0=$(ms); "$BIN" down --volumes >/dev/null 2>&1; "$BIN" up --scenario stage --no-check >/dev/null 2>"$WORK/up2.log"; t1=$(ms); RESEED=$((t1 - t0))
[ "$(accounts)" = "$EXPECTED" ] || { echo "re-seed left $(accounts) accounts, expected $EXPECTED" >&2; exit 1; }
SEEDED=$(python3 -c 'import json; print(int(json.load(open(".ovu/stage/snapshots/seeded/manifest.json"))["seconds"] * 1000))')

echo "snapshot of $ROWS seeded rows (stage: 4 databases on one PostgreSQL, one Redis): $SIZE"
echo "first up (seeds $ROWS rows, takes the seeded snapshot): ${UP0} ms"
echo "snapshot save: ${SAVE} ms (its ready copy, in the background, there ${READYMS:-?} ms after save returned)"
echo "snapshot restore: ${RESTORE} ms ($(grep -o '(staging.*)' "$WORK/restore.out"))"
echo "ovudev backup: ${BACKUP} ms   ovudev restore latest × 4 services: ${DUMPS} ms (Redis not included: RDB files are restored by hand)"
echo "down --volumes + up (re-seed): ${RESEED} ms, of which the automatic seeded snapshot ${SEEDED} ms"
python3 -c "
r, d, s, k = $RESTORE, $DUMPS, $RESEED, $SEEDED
print(f'snapshot restore / restore from dumps = {r/d:.3f}x (target <= 0.1x)')
print(f'snapshot restore / (down --volumes + up) = {r/s:.3f}x (target <= 0.1x); without the seeded snapshot in up: {r/(s-k):.3f}x')
"
