#!/bin/bash
# Per-tenant provisioning: ovudev's provisioner (libpq: batched catalog diff, databases cloned
# from a per-service template over several connections) vs `psql -v ON_ERROR_STOP=1 -f` of the
# rendered init-db.sql, for TENANTS tenants × 5 services (default 100 × 5 = 500 databases and
# 500 roles). Each side runs on a fresh cluster made by the native engine (same settings, SCRAM
# over 127.0.0.1), alternating which goes first; RUNS rounds, medians. Prints both times, the
# second (nothing to change) provisioning, and the ratio (target <= 0.70), all from one run.
#
# The driver is the StackTests test `ProvisionerBench` (enabled only by OVUDEV_BENCH_TENANTS).
# Debug build by default: both sides wait on PostgreSQL, not on Swift code, and other test
# targets use @testable imports that a release test build refuses. CONFIG=release to try.
#   TENANTS=100 RUNS=3 bash bench/provision.sh
#   TRACE=1 bash bench/provision.sh     # also the provisioner's steps with timestamps
set -euo pipefail
cd "$(dirname "$0")/.."
TENANTS=${TENANTS:-100}
RUNS=${RUNS:-1}
CONFIG=${CONFIG:-debug}
LOG=$(mktemp /tmp/ovudev-bench-provision-XXXXXX.log)
trap 'rm -f "$LOG"' EXIT

extra=()
[ "$CONFIG" = release ] && extra=(-Xswiftc -enable-testing)
env OVUDEV_BENCH_TENANTS="$TENANTS" OVUDEV_BENCH_RUNS="$RUNS" ${TRACE:+OVUDEV_BENCH_TRACE=1} \
    swift test -c "$CONFIG" "${extra[@]}" --filter 'ProvisionerBench' >"$LOG" 2>&1 || {
    tail -40 "$LOG"
    echo "bench/provision.sh: the bench failed (log above)" >&2
    exit 1
}
grep '^bench:' "$LOG"
grep -q 'ratio provision / psql' "$LOG" || { tail -40 "$LOG"; echo "bench/provision.sh: no ratio printed" >&2; exit 1; }
