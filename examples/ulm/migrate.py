import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from service import migrate

migrate({
    "roles": "id integer PRIMARY KEY, name text NOT NULL UNIQUE",
    "users": "id integer PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, role_id integer REFERENCES {p}roles(id)".replace("{p}", os.environ.get("TABLE_PREFIX", "")),
    "secrets": "user_id integer PRIMARY KEY, password_hash text NOT NULL",
})
