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
