#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost: start them when installed but down, install them
# with apt-get when missing and running as root, else stop with one clear line.
set -u
PGPORT=${PGPORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}

pg_up() { python3 - "$PGPORT" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")  # SSLRequest: any PostgreSQL answers 'S' or 'N'
    sys.exit(0 if s.recv(1) in (b"S", b"N") else 1)
except OSError:
    sys.exit(1)
PY
}
redis_up() { python3 - "$REDIS_PORT" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(7).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }
is_root() { [ "$(id -u)" = 0 ]; }

start_pg() {
  if ls /etc/postgresql/*/main >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true; done
  fi
}
install_pg() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1; }
  start_pg
  # A fresh cluster asks for a password over TCP: give the postgres user the one the tests use.
  wait_for pg_up && su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
}
start_redis() {
  command -v redis-server >/dev/null 2>&1 && redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir /tmp >/dev/null 2>&1 || true
}
install_redis() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null 2>&1; }
  start_redis
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then start_pg; elif is_root; then install_pg; fi
  wait_for pg_up || { echo "PostgreSQL is not answering on 127.0.0.1:$PGPORT and could not be started or installed (install it, or run as root)."; exit 1; }
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then start_redis; elif is_root; then install_redis; fi
  wait_for redis_up || { echo "Redis is not answering on 127.0.0.1:$REDIS_PORT and could not be started or installed (install it, or run as root)."; exit 1; }
fi
