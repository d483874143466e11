#!/usr/bin/env bash
# `make serve`: the production process set (the Procfile) on this machine's PostgreSQL and Redis, under one
# supervisor (honcho), with the local Xero standing in for Xero. The Makefile passes DATABASE_URL and REDIS_URL
# (a database and a Redis database of serve's own) and WORKERS.
#
# Before serving, as a deployment does: collectstatic (a deployment's build step), then the Procfile's release
# line (migrations), then an admin login (this machine only). Then honcho runs web, WORKERS x worker, bulkworker,
# scheduler, cron and xero. Ctrl-C (SIGINT) or SIGTERM: honcho sends SIGTERM to each process's group, SIGKILL to what is
# left after 5 s, and exits when every one has.
set -euo pipefail
# shellcheck source=local-xero.env.sh
source "$(dirname "$0")/local-xero.env.sh"
PORT=${1:-8000}
XERO_PORT=${2:-8765}
WORKERS=${WORKERS:-2}
: "${DATABASE_URL:?set by make serve}" "${REDIS_URL:?set by make serve}"
VENV=$PWD/.venv
PY=$VENV/bin/python
export PATH="$VENV/bin:$PATH"  # the Procfile's `python` and `gunicorn` are the virtual environment's
RUN_DIR=$(realpath -m "${INTEGRATIONS_RUN_DIR:-.run}")
mkdir -p "$RUN_DIR"
XERO="http://127.0.0.1:$XERO_PORT"

# The secret key and the credentials' encryption key: made once, kept with the run's settings, so sessions and
# the encrypted Xero tokens outlive a restart.
SECRETS=$RUN_DIR/serve-secrets.env
if [ ! -s "$SECRETS" ]; then
  (umask 077 && $PY - > "$SECRETS") <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"INTEGRATIONS_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
PY
fi

# What every process runs with (honcho reads it: `-e`); a command in a second terminal can use it the same way.
ADMIN_USER=${SERVE_ADMIN_USER:-admin}
ADMIN_PASSWORD=${SERVE_ADMIN_PASSWORD:-admin}
SHOWN_PASSWORD=${SERVE_ADMIN_PASSWORD:+"\$SERVE_ADMIN_PASSWORD"}
SECOND="$VENV/bin/honcho -e $RUN_DIR/serve.env run $PY manage.py"
MASK=$(umask)
umask 077  # serve.env holds the secrets too
{
  cat <<ENV
# Written by make serve; honcho gives it to every process. In a second terminal:
#   $SECOND ...
DJANGO_PRODUCTION=true
DJANGO_DEBUG=false
# Plain http on 127.0.0.1: no TLS in front (config/settings.py says which deploy checks that silences and why).
DJANGO_HTTPS=false
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
DJANGO_STATIC_ROOT=$RUN_DIR/staticfiles
DATABASE_URL=$DATABASE_URL
REDIS_URL=$REDIS_URL
PORT=$PORT
WEB_BIND=127.0.0.1
XERO_PORT=$XERO_PORT
XERO_STATE_FILE=$RUN_DIR/xero-serve.json
ENV
  local_xero_env
  cat "$SECRETS"
} > "$RUN_DIR/serve.env"
umask "$MASK"
set -a
# shellcheck disable=SC1091
source "$RUN_DIR/serve.env"
set +a

$PY .ci/createdb.py "$DATABASE_URL"
$PY manage.py collectstatic --noinput -v 0
RELEASE=$(sed -n 's/^release:[[:space:]]*//p' Procfile)
bash -c "$RELEASE"
# The admin login (made once; SERVE_ADMIN_USER / SERVE_ADMIN_PASSWORD choose it, admin / admin by default).
SERVE_ADMIN_USER=$ADMIN_USER SERVE_ADMIN_PASSWORD=$ADMIN_PASSWORD $PY manage.py shell -v 0 -c "
import os
from django.contrib.auth import get_user_model
User, name = get_user_model(), os.environ['SERVE_ADMIN_USER']
if not User.objects.filter(username=name).exists():
    User.objects.create_superuser(name, '', os.environ['SERVE_ADMIN_PASSWORD'])"

cat <<MSG

  App:          http://127.0.0.1:$PORT/admin/        (login: $ADMIN_USER / ${SHOWN_PASSWORD:-admin})
  API:          http://127.0.0.1:$PORT/api/v1/       (docs: /api/docs/; health: /health/)
  An API key:   $SECOND api_key SUPPLIER
  Local Xero:   $XERO       (standing in for Xero; state kept in $RUN_DIR/xero-serve.json)
  Connect Xero: add a supplier at http://127.0.0.1:$PORT/admin/integrations_core/supplier/add/, then "Connect to Xero"
  Processes:    web (gunicorn), $WORKERS x worker (RQ, pushes maintenance), bulkworker (re-syncs), scheduler, cron,
                xero (Procfile)
  PostgreSQL:   ${DATABASE_URL##*/}; Redis: database ${REDIS_URL##*/}. Ctrl-C stops everything.

MSG
exec "$VENV/bin/honcho" -e "$RUN_DIR/serve.env" start -c "worker=$WORKERS" web worker bulkworker scheduler cron xero
