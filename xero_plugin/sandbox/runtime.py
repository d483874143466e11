"""``XeroSandbox`` (start/stop in a thread) and ``main`` (run as a process)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from . import seed
from .app import SandboxApp
from .clock import SandboxClock
from .control import SandboxControl
from .faults import FaultInjector
from .limits import RateLimiter
from .server import SandboxHTTPServer
from .state import SandboxState
from .webhooks import WebhookSender


class XeroSandbox:
    """A local Xero on one loopback port: Accounting API, identity, OAuth and ``/_sandbox/``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, clock_scale: float = 1.0, state_file=None,
                 client_id: str = seed.DEFAULT_CLIENT_ID, client_secret: str = seed.DEFAULT_CLIENT_SECRET,
                 webhook_key: str = seed.DEFAULT_WEBHOOK_KEY, redirect_uris=None, app_minute_limit=None,
                 api_latency=None, api_latency_jitter=None):
        """``redirect_uris``: the default app's registered redirect URIs (``seed.DEFAULT_REDIRECT_URIS`` when
        None); ``/identity/connect/authorize`` accepts only these, matched exactly.

        ``app_minute_limit``: calls a minute per app across all its tenants (Xero: 10,000), e.g. 100 to make
        it bind in a benchmark. ``api_latency`` / ``api_latency_jitter``: REAL seconds every Accounting API
        call takes, drawn from ``api_latency +/- api_latency_jitter``. None keeps Xero's value (or the state
        file's); a value given here wins over the state file and survives ``control.reset()``."""
        self.host, self._port = host, port
        self.client_id, self.client_secret, self.webhook_key = client_id, client_secret, webhook_key
        self.state_file = state_file
        self.clock = SandboxClock(clock_scale)
        self.state = SandboxState(self.clock, client_id, client_secret, webhook_key, redirect_uris)
        if state_file:
            self.state.load(state_file)
        self.state.set_defaults(config=_settings(api_latency=_non_negative("api_latency", api_latency),
                                                 api_latency_jitter=_non_negative("api_latency_jitter",
                                                                                  api_latency_jitter)),
                                limits=_settings(app_minute=_positive_int("app_minute_limit", app_minute_limit)))
        self.limiter = RateLimiter(self.clock, self.state.limits)
        self.faults = FaultInjector()
        self.webhooks = WebhookSender(self.state, lambda: self.base_url)
        self.app = SandboxApp(self.state, self.limiter, self.faults, self.webhooks)
        self.app.state_file = state_file
        self._server = None
        self._thread = None
        self._control = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "XeroSandbox":
        """Bind and serve in a daemon thread; returns self."""
        self._server = SandboxHTTPServer((self.host, self._port), self.app)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="xero-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (and save the state file, if any)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_all()
            self._server.server_close()
            self._server = None
        if self.state_file:
            self.state.save(self.state_file)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        if self._server is None:
            self._server = SandboxHTTPServer((self.host, self._port), self.app)
            self._port = self._server.server_address[1]
        self._server.serve_forever(poll_interval=0.2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- URLs ----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return "http://%s:%d" % (self.host, self._port)

    @property
    def accounting_url(self) -> str:
        return self.base_url + "/api.xro/2.0"

    @property
    def identity_url(self) -> str:
        return self.base_url

    @property
    def authorize_url(self) -> str:
        return self.base_url + "/identity/connect/authorize"

    @property
    def token_url(self) -> str:
        return self.base_url + "/connect/token"

    @property
    def revocation_url(self) -> str:
        return self.base_url + "/connect/revocation"

    @property
    def control(self) -> SandboxControl:
        """A client for ``/_sandbox/``."""
        if self._control is None:
            self._control = SandboxControl(self.base_url)
        return self._control

    def describe(self) -> dict:
        """URLs and credentials, as ``main`` prints them."""
        return {"base_url": self.base_url, "accounting_url": self.accounting_url, "identity_url": self.identity_url,
                "authorize_url": self.authorize_url, "token_url": self.token_url,
                "revocation_url": self.revocation_url, "client_id": self.client_id,
                "client_secret": self.client_secret, "webhook_key": self.webhook_key,
                "clock_scale": self.clock.scale, "app_minute_limit": self.state.limits["app_minute"],
                "latency_ms": round(self.state.config["api_latency"] * 1000, 3),
                "latency_jitter_ms": round(self.state.config["api_latency_jitter"] * 1000, 3),
                "tenants": {t: o["name"] for t, o in self.state.orgs.items()},
                "redirect_uris": list(self.state.apps[self.client_id].get("redirect_uris", []))}


def _settings(**values) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _non_negative(name, value):
    if value is None:
        return None
    value = float(value)
    if value < 0:
        raise ValueError("%s must not be negative" % name)
    return value


def _positive_int(name, value):
    if value is None:
        return None
    value = int(value)
    if value < 1:
        raise ValueError("%s must be at least 1" % name)
    return value


def _env(name):
    """An option's default from the environment (None when unset or empty); argparse converts a string
    default with the option's ``type``, so a bad value is reported like a bad option."""
    return os.environ.get(name) or None


def main(argv=None) -> int:
    """``python -m xero_plugin.sandbox --port N --clock-scale K [--state-file F] [--app-minute-limit N]
    [--latency-ms MS --latency-jitter-ms MS]``."""
    parser = argparse.ArgumentParser(prog="xero_sandbox", description="Run a local Xero.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--clock-scale", type=float, default=1.0)
    parser.add_argument("--state-file", default=None)
    parser.add_argument("--client-id", default=seed.DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=seed.DEFAULT_CLIENT_SECRET)
    parser.add_argument("--webhook-key", default=seed.DEFAULT_WEBHOOK_KEY)
    parser.add_argument("--auto-approve", action="store_true", help="skip the consent page (all tenants)")
    parser.add_argument("--redirect-uri", action="append", dest="redirect_uris", metavar="URI",
                        help="a redirect URI registered for the app (repeat for several); default: "
                             + ", ".join(seed.DEFAULT_REDIRECT_URIS) + " and $XERO_REDIRECT_URI if set")
    parser.add_argument("--app-minute-limit", type=int, default=_env("XERO_SANDBOX_APP_MINUTE_LIMIT"),
                        metavar="N", help="calls a minute per app across all tenants (Xero: 10000; "
                                          "env XERO_SANDBOX_APP_MINUTE_LIMIT)")
    parser.add_argument("--latency-ms", type=float, default=_env("XERO_SANDBOX_LATENCY_MS"), metavar="MS",
                        help="real milliseconds every Accounting API call takes (default 0; "
                             "env XERO_SANDBOX_LATENCY_MS)")
    parser.add_argument("--latency-jitter-ms", type=float, default=_env("XERO_SANDBOX_LATENCY_JITTER_MS"),
                        metavar="MS", help="each call's latency is drawn from latency +/- this (default 0; "
                                           "env XERO_SANDBOX_LATENCY_JITTER_MS)")
    args = parser.parse_args(argv)
    for name in ("app_minute_limit", "latency_ms", "latency_jitter_ms"):
        value = getattr(args, name)
        if value is not None and (value < 0 or (name == "app_minute_limit" and value < 1)):
            parser.error("--%s must be %s" % (name.replace("_", "-"),
                                               "at least 1" if name == "app_minute_limit" else "0 or more"))
    redirect_uris = args.redirect_uris
    if redirect_uris is None:
        # The app's own setting, when the sandbox runs beside it (make run exports it): registered too.
        redirect_uris = list(seed.DEFAULT_REDIRECT_URIS) + [u for u in [os.environ.get("XERO_REDIRECT_URI")] if u]
    seconds = lambda ms: None if ms is None else ms / 1000.0  # noqa: E731
    sandbox = XeroSandbox(args.host, args.port, args.clock_scale, args.state_file,
                          args.client_id, args.client_secret, args.webhook_key, redirect_uris=redirect_uris,
                          app_minute_limit=args.app_minute_limit, api_latency=seconds(args.latency_ms),
                          api_latency_jitter=seconds(args.latency_jitter_ms))
    if args.auto_approve:
        sandbox.state.auto_approve = {"tenants": None, "deny": False}
    stop = threading.Event()
    # Handlers before the URLs are printed: whoever reads them may stop us at once, and must get a clean exit.
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, lambda *_: stop.set())
        except ValueError:  # not the main thread (e.g. under a management command runner)
            pass
    sandbox.start()
    print(json.dumps(sandbox.describe(), indent=2), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
