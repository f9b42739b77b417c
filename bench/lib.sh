# Shared by the bench scripts (sourced, not run).

# A generated secret by name, wherever .ovu/secrets.json (in the current folder) keeps it
# (format 1: flat; 2: per project and server).
secret() {
    python3 - "$1" <<'PY'
import json, sys
def find(node):
    if isinstance(node, dict):
        if sys.argv[1] in node and isinstance(node[sys.argv[1]], str): return node[sys.argv[1]]
        for value in node.values():
            found = find(value)
            if found is not None: return found
    return None
print(find(json.load(open(".ovu/secrets.json"))))
PY
}

# BIN: the ovudev to measure, $OVUDEV_BIN when set (another build, e.g. a branch's base), else
# this checkout's release build (built first).
release_binary() {
    if [ -n "${OVUDEV_BIN:-}" ]; then
        BIN=$OVUDEV_BIN
    else
        swift build -c release --product ovudev >/dev/null
        BIN=$(swift build -c release --show-bin-path)/ovudev
    fi
}

# PGBIN: PostgreSQL's server binaries, where `$1` (e.g. initdb) is: pg_config's bindir, else the
# newest /usr/lib/postgresql/*/bin.
postgres_bindir() {
    PGBIN=$(pg_config --bindir)
    [ -x "$PGBIN/$1" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
}
