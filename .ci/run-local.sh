#!/usr/bin/env bash
# `make run`: migrate SQLite, create the demo supplier and an admin login, start the local Xero, serve.
set -euo pipefail
PORT=${1:-8000}
XERO_PORT=${2:-8765}
PY=.venv/bin/python
unset DATABASE_URL REDIS_URL
mkdir -p .run
$PY manage.py migrate -v 0
$PY manage.py demo_setup
echo
echo "App:         http://127.0.0.1:$PORT/"
echo "Admin:       http://127.0.0.1:$PORT/admin/   (login: admin / admin)"
echo "Jobs run in-process (no Redis); database: db.sqlite3"
echo
exec $PY manage.py runserver "127.0.0.1:$PORT"
