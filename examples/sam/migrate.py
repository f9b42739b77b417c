import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from service import migrate

migrate({"sessions": "id text PRIMARY KEY, user_id integer NOT NULL, expires_at timestamptz NOT NULL"})
