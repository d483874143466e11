"""`make serve` as a person uses it: the production process set (the Procfile under honcho: gunicorn, two RQ
workers, the scheduler, the cron and the local Xero) brought up on free ports, on a PostgreSQL database and the
Redis database of this test run's own. Over real HTTP: sign in to the admin, add a supplier with the admin's add
form, connect it to the local Xero through its "Connect to Xero" link (the consent's redirects followed), make an
API key with the command `make serve` prints, upsert invoices through the API, and see the real workers sync them
(the API says `synced`, the local Xero holds each one once). Then Ctrl-C (SIGINT to the process group, as a
terminal sends it): every process it started is gone, none left behind in a group or session of its own."""

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes() -> dict[int, tuple[int, int, int, str]]:
    """Every process on the machine: pid -> (ppid, session, start time, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp session ...
        found[int(entry.name)] = (int(fields[1]), int(fields[3]), int(fields[19]), cmdline)
    return found


def _tree(root: int) -> dict[int, tuple[int, int, int, str]]:
    """`root` and every process under it."""
    everything = _processes()
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in everything and pid not in tree:
            tree[pid] = everything[pid]
            todo += [p for p, (ppid, *_rest) in everything.items() if ppid == pid]
    return tree


def _still_there(seen: dict) -> list[str]:
    """Processes of `seen` still alive (the same pid and start time), and any process left in their sessions."""
    now = _processes()
    sessions = {session for _ppid, session, _start, _cmd in seen.values()}
    alive = [f"{pid} {now[pid][3]}" for pid, (_p, _s, start, _c) in seen.items() if pid in now and now[pid][2] == start]
    left = [f"{pid} {cmd} (session {session})" for pid, (_p, session, _st, cmd) in now.items()
            if session in sessions and pid not in seen]
    return alive + left


def _pg(url: str, name: str, statement: str) -> None:
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


@pytest.fixture
def make_serve(tmp_path):
    """`make serve` on free ports, its own PostgreSQL database and this run's Redis database (the slot's)."""
    database, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    assert database.startswith("postgres") and redis, "needs PostgreSQL and Redis: run it with `make test`"
    pg, redis_url = urlsplit(database), urlsplit(redis)
    serve_db = f"{pg.path.lstrip('/')}_serve"
    _pg(database, serve_db, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
    app_port, xero_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["INTEGRATIONS_RUN_DIR"] = str(tmp_path)  # its settings, secrets, static files and Xero state: this test's
    log_path = tmp_path / "make-serve.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        ["make", "serve", f"PORT={app_port}", f"XERO_PORT={xero_port}", f"WORKERS={WORKERS}",
         f"PG_URL={urlunsplit(pg._replace(path=''))}", f"SERVE_DB={serve_db}",
         f"REDIS_BASE={urlunsplit(redis_url._replace(path=''))}", f"SERVE_REDIS_DB={redis_url.path.strip('/') or 0}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    app = f"http://127.0.0.1:{app_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{app}/admin/login/", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet / a worker still booting
                pass
            assert server.poll() is None, log_path.read_text()[-5000:]
            assert time.monotonic() < deadline, log_path.read_text()[-5000:]
            time.sleep(0.2)
        yield server, app, f"http://127.0.0.1:{xero_port}", tmp_path, log_path
    finally:
        if server.poll() is None:  # the test failed before its own Ctrl-C
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()
        _pg(database, serve_db, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


def _csrf(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _admin_session(app: str) -> requests.Session:
    browser = requests.Session()
    login = browser.get(f"{app}/admin/login/", timeout=5)
    signed_in = browser.post(f"{app}/admin/login/?next=/admin/", timeout=5, headers={"Referer": login.url},
                             data={"csrfmiddlewaretoken": _csrf(login), "username": "admin", "password": "admin",
                                   "next": "/admin/"})
    assert signed_in.url.rstrip("/").endswith("/admin") and "Log out" in signed_in.text, signed_in.text[-2000:]
    return browser


def _add_supplier(browser: requests.Session, app: str, name: str) -> str:
    """The admin's add form; "Save and continue editing" lands on the new supplier's page."""
    form = browser.get(f"{app}/admin/integrations_core/supplier/add/", timeout=5)
    saved = browser.post(form.url, data={"csrfmiddlewaretoken": _csrf(form), "name": name, "_continue": "1"},
                         headers={"Referer": form.url}, timeout=5)
    assert re.search(r"/admin/integrations_core/supplier/\d+/change/$", saved.url), saved.text[-2000:]
    return saved.url


def _connect_to_xero(browser: requests.Session, app: str, xero: str, supplier_page: str) -> str:
    """The supplier's "Connect to Xero", through the local Xero's consent and back; the organisation chosen."""
    requests.post(f"{xero}/_sandbox/auto_approve", json={"tenants": None, "deny": False, "enabled": True},
                  timeout=5).raise_for_status()
    page = browser.get(supplier_page, timeout=5)
    link = re.search(r'href="([^"]*/connect/admin/xero/[^"]*)">Connect to Xero', page.text).group(1)
    chooser = browser.get(app + link.replace("&amp;", "&"), timeout=10)
    assert chooser.history, "the consent's redirects"
    tenant_id, tenant_name = re.search(r'name="tenant_id" value="([^"]+)"[^>]*> ([^<]+)<', chooser.text).groups()
    action = re.search(r'<form method="post" action="([^"]+)"', chooser.text).group(1)
    done = browser.post(app + action, data={"csrfmiddlewaretoken": _csrf(chooser), "tenant_id": tenant_id},
                        headers={"Referer": chooser.url}, timeout=10)
    assert "Xero is connected to" in done.text and tenant_name.strip() in done.text, done.text[-2000:]
    return tenant_id


def _api_key(run_dir: Path, supplier: str) -> str:
    """The command `make serve` prints for a key, run from a second terminal."""
    printed = re.search(r"An API key: +(.+) SUPPLIER$", (run_dir / "make-serve.log").read_text(), re.M).group(1)
    made = subprocess.run([*printed.split(), supplier], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")})
    assert made.returncode == 0, made.stdout + made.stderr
    return made.stdout.strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True)  # no database of this run is used; the marker keeps the order
def test_make_serve_syncs_invoices_through_its_workers_and_stops_on_ctrl_c(make_serve):
    server, app, xero, run_dir, log_path = make_serve

    # The production settings: DEBUG off (a 404 is the plain page), static files from whitenoise with hashed names.
    assert "Page not found" not in requests.get(f"{app}/no-such-page/", timeout=5).text
    browser = _admin_session(app)
    css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', browser.get(f"{app}/admin/").text).group(1)
    static = requests.get(app + css, timeout=5)
    assert static.status_code == 200 and len(static.content) > 1000 and "immutable" in static.headers["Cache-Control"]

    name = f"Serve Foods {uuid.uuid4().hex[:6]}"
    supplier_page = _add_supplier(browser, app, name)
    tenant_id = _connect_to_xero(browser, app, xero, supplier_page)
    currency = next(t["currency"] for t in requests.get(f"{xero}/_sandbox/tenants", timeout=5).json()
                    if t["tenantId"] == tenant_id)
    api = requests.Session()
    api.headers["Authorization"] = f"Api-Key {_api_key(run_dir, name)}"

    numbers = [f"SRV-{i}" for i in range(1, 4)]
    ids = {}
    for i, number in enumerate(numbers, 1):
        upserted = api.put(f"{app}/api/v1/invoices/external/serve-order-{i}/", timeout=10, json={
            "number": number, "customer": "The Corner Cafe", "order_reference": f"PO-{i}",
            "issue_date": "2026-11-20", "due_date": "2026-12-20", "currency": currency,
            "lines": [{"description": "Sourdough loaf", "quantity": str(i), "unit_price": "4.50",
                       "account_code": "200"}]})
        assert upserted.status_code == 201 and upserted.json()["outcome"] == "created", upserted.text
        ids[number] = upserted.json()["invoice"]["id"]

    # The real workers push them (no worker runs in this test's process).
    deadline, states = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        states = {n: [s["state"] for s in api.get(f"{app}/api/v1/invoices/{i}/", timeout=5).json()["syncs"]]
                  for n, i in ids.items()}
        if all(s == ["synced"] for s in states.values()):
            break
        time.sleep(0.3)
    assert all(s == ["synced"] for s in states.values()), (states, log_path.read_text()[-4000:])
    for number in numbers:
        held = requests.get(f"{xero}/_sandbox/invoices", params={"tenant_id": tenant_id, "invoice_number": number},
                            timeout=5).json()
        assert len(held) == 1 and held[0]["Status"] == "AUTHORISED", held

    # Every process of the Procfile ran under the one supervisor.
    seen = _tree(server.pid)
    assert any("honcho" in cmd and " start " in cmd for *_rest, cmd in seen.values()), seen
    # Each Procfile line is honcho's `sh -c LINE`, in a session of its own, and the program it runs.
    shells = {pid for pid, (*_rest, cmd) in seen.items() if cmd.startswith("/bin/sh -c ")}
    programs = [cmd for ppid, _session, _start, cmd in seen.values() if ppid in shells]
    for wanted, count in (("gunicorn config.wsgi", 1), ("manage.py integrations_worker -v 0 pushes", WORKERS),
                          ("manage.py integrations_worker -v 0 --nice 10 bulk", 1),
                          ("manage.py integrations_scheduler", 1), ("manage.py rqcron config.cron", 1),
                          ("manage.py xero_sandbox", 1)):
        assert sum(wanted in cmd for cmd in programs) == count, (wanted, programs)
    assert len(shells) == 5 + WORKERS and len({seen[pid][1] for pid in shells}) == len(shells)

    # Ctrl-C: the terminal's SIGINT to the foreground group (make and honcho; honcho stops the rest).
    os.killpg(server.pid, signal.SIGINT)
    server.wait(timeout=20)
    deadline = time.monotonic() + 5
    while _still_there(seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _still_there(seen), _still_there(seen)
    stopped = log_path.read_text()
    assert "SIGINT received" in stopped and "Traceback" not in stopped, stopped[-4000:]
