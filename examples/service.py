"""A minimal OVU example service: an HTTP server with /health, and migrations run with psql.

Each example service folder (ulm, aam, sam, smm) holds an app.py and a migrate.py that call
into this module with the service's tables. Standard library only, plus the psql client.
"""
import http.server
import json
import os
import subprocess
import sys


def psql(sql):
    env = dict(os.environ)
    env.update(PGHOST=os.environ["DB_HOST"], PGPORT=os.environ["DB_PORT"], PGUSER=os.environ["DB_USER"],
               PGPASSWORD=os.environ["DB_PASSWORD"], PGDATABASE=os.environ["DB_NAME"])
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                          env=env, check=True, capture_output=True, text=True).stdout


def migrate(tables):
    """Creates the service's tables: in its own schema (search_path) or with TABLE_PREFIX."""
    if "DB_NAME" not in os.environ:
        print("no database for this service", file=sys.stderr)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        print("the example migrations are for PostgreSQL; nothing to do on this engine")
        return
    prefix = os.environ.get("TABLE_PREFIX", "")
    for name, columns in tables.items():
        psql(f"CREATE TABLE IF NOT EXISTS {prefix}{name} ({columns})")
    print(f"migrated: {', '.join(prefix + t for t in tables)}")


def serve(service):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/health":
                body, status = b"ok\n", 200
            elif self.path == "/":
                body, status = json.dumps({"service": service, "tenant": os.environ.get("TENANT")}).encode() + b"\n", 200
            else:
                body, status = b"not found\n", 404
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if status != 200 or self.path == "/health" else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write(f"{service}: {fmt % args}\n")

    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ["PORT"])
    server = http.server.ThreadingHTTPServer((host, port), Handler)
    print(f"{service} listening on {host}:{port}", flush=True)
    server.serve_forever()
