#!/usr/bin/env bash
# `make run`: migrate SQLite, create the demo supplier and an admin login, start the local Xero beside
# the app and point the app at it, then serve. Ctrl-C stops both.
set -euo pipefail
PORT=${1:-8000}
XERO_PORT=${2:-8765}
PY=.venv/bin/python
unset DATABASE_URL REDIS_URL
mkdir -p .run
XERO="http://127.0.0.1:$XERO_PORT"
export XERO_CLIENT_ID=SANDBOXCLIENTID0000000000000000 XERO_CLIENT_SECRET=sandbox-client-secret \
  XERO_WEBHOOK_KEY=sandbox-webhook-key XERO_AUTHORIZE_URL="$XERO/identity/connect/authorize" \
  XERO_TOKEN_URL="$XERO/connect/token" XERO_REVOCATION_URL="$XERO/connect/revocation" \
  XERO_IDENTITY_URL="$XERO" XERO_ACCOUNTING_URL="$XERO/api.xro/2.0" \
  XERO_REDIRECT_URI="http://127.0.0.1:$PORT/xero/callback/"

$PY manage.py migrate -v 0
$PY manage.py demo_setup

$PY manage.py xero_sandbox --port "$XERO_PORT" --state-file .run/xero-sandbox.json > .run/xero-sandbox.log 2>&1 &
SANDBOX_PID=$!
trap 'kill $SANDBOX_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do
  $PY -c "import urllib.request,sys; urllib.request.urlopen('$XERO/_sandbox/health', timeout=1)" 2>/dev/null && break
  kill -0 $SANDBOX_PID 2>/dev/null || { echo "The local Xero did not start: see .run/xero-sandbox.log"; exit 1; }
  sleep 0.2
done

cat <<MSG

  App:          http://127.0.0.1:$PORT/admin/        (login: admin / admin, or support / support)
  API:          http://127.0.0.1:$PORT/api/v1/       (docs: /api/docs/; a key: .venv/bin/python manage.py api_key "Demo Foods")
  Local Xero:   $XERO                                (client id $XERO_CLIENT_ID; log: .run/xero-sandbox.log)
  Connect Xero: http://127.0.0.1:$PORT/xero/connect/?supplier=1   (the local Xero's consent page)
  Jobs run in-process (no Redis); database: db.sqlite3. Ctrl-C stops everything.

MSG
$PY manage.py runserver --noreload "127.0.0.1:$PORT"
