import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from service import migrate

migrate({"accounts": "id integer PRIMARY KEY, user_id integer NOT NULL, balance numeric NOT NULL DEFAULT 0"})
