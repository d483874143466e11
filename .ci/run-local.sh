#!/usr/bin/env bash
# `make run`: migrate SQLite, create the demo supplier and an admin login, start the local Xero beside
# the app and point the app at it, then serve. Ctrl-C stops both.
set -euo pipefail
# shellcheck source=local-xero.env.sh
source "$(dirname "$0")/local-xero.env.sh"
PORT=${1:-8000}
XERO_PORT=${2:-8765}
PY=.venv/bin/python
unset DATABASE_URL REDIS_URL
# INTEGRATIONS_RUN_DIR (default .run, with the database beside the checkout) keeps a second `make run` apart.
RUN_DIR=${INTEGRATIONS_RUN_DIR:-.run}
DB=$(realpath -m "${INTEGRATIONS_RUN_DIR:+$RUN_DIR/}db.sqlite3")
mkdir -p "$RUN_DIR"
XERO="http://127.0.0.1:$XERO_PORT"
# What the app runs with, written where manage.py reads it: a command in a second terminal sees the same
# database and the same local Xero (never the real api.xero.com).
{
  cat <<ENV
# Written by make run; read by manage.py when DATABASE_URL is not set. Delete it to use other settings.
DATABASE_URL=sqlite:///$DB
# Plain log lines for a person at this terminal (production's default is one JSON object a line).
LOG_FORMAT=${LOG_FORMAT:-text}
ENV
  local_xero_env
} > "$RUN_DIR/local.env"
set -a
# shellcheck disable=SC1091
source "$RUN_DIR/local.env"
set +a

$PY manage.py migrate -v 0
$PY manage.py demo_setup

$PY manage.py xero_sandbox --port "$XERO_PORT" --state-file "$RUN_DIR/xero-sandbox.json" > "$RUN_DIR/xero-sandbox.log" 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do
  $PY -c "import urllib.request,sys; urllib.request.urlopen('$XERO/_sandbox/health', timeout=1)" 2>/dev/null && break
  kill -0 $SANDBOX_PID 2>/dev/null || { echo "The local Xero did not start: see $RUN_DIR/xero-sandbox.log"; exit 1; }
  sleep 0.2
done

cat <<MSG

  App:          http://127.0.0.1:$PORT/admin/        (login: admin / admin, or support / support)
  API:          http://127.0.0.1:$PORT/api/v1/       (docs: /api/docs/; a key: .venv/bin/python manage.py api_key "Demo Foods")
  Local Xero:   $XERO                                (client id $XERO_CLIENT_ID; log: $RUN_DIR/xero-sandbox.log)
  Connect Xero: http://127.0.0.1:$PORT/admin/integrations_core/supplier/1/change/  ("Connect to Xero")
  Jobs run in-process (no Redis); database: $DB. Ctrl-C stops everything.
  Commands in another terminal (.venv/bin/python manage.py ...) use these settings: $RUN_DIR/local.env

MSG
$PY manage.py runserver --noreload "127.0.0.1:$PORT"
