"""The README's commands, run as it shows them, from a second terminal beside a running `make run`: each one
exits 0, prints no traceback, and each `curl` gets a 2xx. (Left out: `make` itself, the local Xero's own
server, and `startplugin`, which writes into this checkout; tests/integrations_core/test_startplugin.py
runs it.)"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
NOT_HERE = ("make ", "xero_sandbox", "startplugin")
# curl as a person reads it: an HTTP error is a failure, and each answer ends its line.
PRELUDE = 'set -eo pipefail\ncurl() { command curl -sS --fail-with-body "$@"; echo; }\n'


def readme_blocks() -> list[str]:
    """The README's shell blocks that a newcomer runs in a second terminal."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [b for b in blocks if not any(word in b for word in NOT_HERE)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _terminal_env(run_dir: Path) -> dict:
    """A fresh terminal: none of the test run's own DATABASE_URL / REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["INTEGRATIONS_RUN_DIR"] = str(run_dir)  # this run's `make run`, not a developer's own
    return env


@pytest.fixture
def make_run(tmp_path):
    app_port, xero_port = _free_port(), _free_port()
    log = (tmp_path / "make-run.log").open("w")
    server = subprocess.Popen(["make", "run", f"PORT={app_port}", f"XERO_PORT={xero_port}"], cwd=ROOT,
                              env=_terminal_env(tmp_path), stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    app = f"http://127.0.0.1:{app_port}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{app}/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "make-run.log").read_text()
            time.sleep(0.2)
        yield app, f"http://127.0.0.1:{xero_port}", tmp_path
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _connect_demo_supplier(app: str, xero: str) -> None:
    """What the newcomer does in the browser: sign in, the supplier's "Connect to Xero", pick an organisation."""
    requests.post(f"{xero}/_sandbox/auto_approve", json={"tenants": None, "deny": False, "enabled": True},
                  timeout=5).raise_for_status()
    browser = requests.Session()

    def csrf(page):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    login = browser.get(f"{app}/admin/login/", timeout=5)
    browser.post(f"{app}/admin/login/", data={"csrfmiddlewaretoken": csrf(login), "username": "admin",
                                              "password": "admin"}, headers={"Referer": login.url}, timeout=5)
    supplier = browser.get(f"{app}/admin/integrations_core/supplier/1/change/", timeout=5)
    link = re.search(r'href="([^"]*/connect/admin/xero/[^"]*)">Connect to Xero', supplier.text).group(1)
    chooser = browser.get(app + link.replace("&amp;", "&"), timeout=10)
    tenant = re.search(r'name="tenant_id" value="([^"]+)"', chooser.text).group(1)
    action = re.search(r'<form method="post" action="([^"]+)"', chooser.text).group(1)
    done = browser.post(app + action, data={"csrfmiddlewaretoken": csrf(chooser), "tenant_id": tenant},
                        headers={"Referer": chooser.url}, timeout=10)
    assert "Xero is connected to" in done.text, done.text[-2000:]


@pytest.mark.django_db(transaction=True)  # no database of this run is used; the marker keeps the order
@pytest.mark.slow  # brings up `make run`
def test_every_readme_command_works_beside_make_run(make_run):
    app, xero, run_dir = make_run
    _connect_demo_supplier(app, xero)
    script = PRELUDE + "\n".join(readme_blocks()).replace("http://127.0.0.1:8000", app)
    assert "manage.py xero_resync" in script and "curl" in script and "api_key" in script

    ran = subprocess.run(["bash", "-x", "-c", script], cwd=ROOT, env=_terminal_env(run_dir),
                         capture_output=True, text=True, timeout=300)

    story = ran.stdout[-4000:] + ran.stderr[-4000:]
    assert ran.returncode == 0, story
    assert "Traceback" not in ran.stdout + ran.stderr, story
    assert re.search(r"^summary: (created|updated) 2$", ran.stdout, re.M), story  # INV-001 and INV-002 in Xero
    assert '"outcome":"created"' in ran.stdout.replace(" ", "")  # the README's invoice was made
    assert "api.xero.com" not in ran.stdout + ran.stderr
