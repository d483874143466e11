"""`createdb.py DATABASE_URL`: create the PostgreSQL database the URL names, unless it exists (`make serve`).

Connects to the server's `postgres` database with the URL's credentials. Prints nothing when the database was
there already, one line when it made it.
"""
import sys
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql


def ensure(url: str) -> bool:
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        sys.exit(f"no database name in {parts.scheme}://{parts.hostname}:{parts.port}/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


if __name__ == "__main__":
    if ensure(sys.argv[1]):
        print(f"Created the PostgreSQL database {unquote(urlsplit(sys.argv[1]).path.lstrip('/'))}.")
