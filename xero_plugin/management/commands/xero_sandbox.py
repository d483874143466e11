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

    def handle(self, *args, **options):
        argv = ["--host", options["host"], "--port", str(options["port"]),
                "--clock-scale", str(options["clock_scale"])]
        if options["state_file"]:
            argv += ["--state-file", options["state_file"]]
        if options["auto_approve"]:
            argv.append("--auto-approve")
        main(argv)
