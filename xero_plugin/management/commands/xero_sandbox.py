"""``manage.py xero_sandbox``: run the local Xero (see ``xero_plugin.sandbox``)."""

from django.core.management.base import BaseCommand

from xero_plugin.sandbox import main


class Command(BaseCommand):
    help = "Run a local Xero (Accounting API, OAuth, connections, /_sandbox/ control API) until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--clock-scale", type=float, default=1.0)
        parser.add_argument("--state-file", default=None)
        parser.add_argument("--auto-approve", action="store_true", help="skip the consent page (all tenants)")
        parser.add_argument("--app-minute-limit", type=int, default=None, metavar="N",
                            help="calls a minute per app across all tenants (Xero: 10000; "
                                 "env XERO_SANDBOX_APP_MINUTE_LIMIT)")
        parser.add_argument("--latency-ms", type=float, default=None, metavar="MS",
                            help="real milliseconds every Accounting API call takes (env XERO_SANDBOX_LATENCY_MS)")
        parser.add_argument("--latency-jitter-ms", type=float, default=None, metavar="MS",
                            help="each call's latency is drawn from latency +/- this "
                                 "(env XERO_SANDBOX_LATENCY_JITTER_MS)")

    def handle(self, *args, **options):
        argv = ["--host", options["host"], "--port", str(options["port"]),
                "--clock-scale", str(options["clock_scale"])]
        if options["state_file"]:
            argv += ["--state-file", options["state_file"]]
        if options["auto_approve"]:
            argv.append("--auto-approve")
        # Unset options are left out, so main() falls back to the XERO_SANDBOX_* environment variables.
        for name in ("app_minute_limit", "latency_ms", "latency_jitter_ms"):
            if options[name] is not None:
                argv += ["--" + name.replace("_", "-"), str(options[name])]
        main(argv)
