#!/bin/bash
# Render time vs. topology size: a per-tenant topology of N services × 10 tenants, rendered by
# the release binary. Prints the time per size and the scaling ratio (target: 10× the services
# in ≤ 11× the time). Baseline and measurement come from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
release_binary
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
RUNS=${RUNS:-5}

gen() { # gen N DIR
    python3 - "$1" "$2" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
services = {}
for i in range(n):
    name = f"s{i:04d}"
    svc = {"port": 20000 + i, "database": {"extensions": ["pg_trgm"]} if i % 10 == 0 else {}, "redis": {},
           "path": f"services/{name}", "migrate": "true", "command": "sleep 1", "health": "/health"}
    if i > 0: svc["dependsOn"] = [f"s{(i - 1) // 2:04d}"]
    if i > 0 and i % 5 == 0: svc["reads"] = {"s0000": ["users"]}
    services[name] = svc
topology = {
    "project": "bench",
    "servers": {"postgres": {"engine": "postgres", "port": 5432}, "redis": {"engine": "redis", "port": 6379}},
    "services": services,
    "tenants": [f"t{j}" for j in range(10)],
    "scenarios": {"saas": {"layout": "per-tenant", "portStride": 1000}},
}
json.dump(topology, open(f"{out}/ovu.topology.json", "w"), indent=1)
PY
}

median_ms() { # median_ms DIR: median wall time of $RUNS renders, in ms
    local dir=$1 times=()
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s%N)
        "$BIN" render --topology "$dir/ovu.topology.json" --out "$dir/out" >/dev/null
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

declare -A ms files
for n in 100 1000; do
    mkdir -p "$WORK/$n"
    gen "$n" "$WORK/$n"
    ms[$n]=$(median_ms "$WORK/$n")
    files[$n]=$(find "$WORK/$n/out" -type f | wc -l)
    echo "render: $n services x 10 tenants: ${ms[$n]} ms (median of $RUNS), ${files[$n]} files"
done
python3 - "${ms[100]}" "${ms[1000]}" <<'PY'
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
ratio = b / max(a, 1)
print(f"scaling: 10x the services took {ratio:.2f}x the time (target <= 11x): {'ok' if ratio <= 11 else 'MISSED'}")
PY
