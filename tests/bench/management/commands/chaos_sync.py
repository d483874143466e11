"""`python manage.py chaos_sync [--invoices N] [--organisations N] [--workers N] [--scenario NAME ...]
[--outage-seconds S]` (`make chaos`): the fault-injection run, each scenario's invoices spread over N
organisations of the local Xero (50 by default; 1 is a single organisation), printed as JSON with figures per
scenario; exit 1 if anything was lost, duplicated, left stale or left in flight."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from tests.bench import environment


class Command(BaseCommand):
    help = ("Invoices over worker processes against the local Xero through fault scenarios (Xero faults, a "
            "SIGKILLed worker, token expiry, Redis flushed, PostgreSQL backends terminated, updates racing the "
            "claim, payments in Xero mid-push, cancels and renumbers after lost answers, the scheduler killed, "
            "Xero down); JSON out.")

    def add_arguments(self, parser):
        from tests.bench.chaos import SCENARIOS

        parser.add_argument("--invoices", type=int, default=400, help="in all, split over the scenarios run")
        parser.add_argument("--organisations", type=int, default=50,
                            help="organisations of the local Xero (a supplier and connection each) that every "
                                 "scenario's invoices go round-robin over; 1 is a single organisation")
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--scenario", action="append", default=None, metavar="NAME",
                            help=f"run only these (repeat or comma-separate): {', '.join(SCENARIOS)}; default all")
        parser.add_argument("--outage-seconds", type=float, default=120,
                            help="how long the local Xero is down in xero_down (half 503, half refused)")

    def handle(self, *args, **options):
        from tests.bench import chaos, sections

        names = [n.strip() for arg in (options["scenario"] or ["all"]) for n in arg.split(",") if n.strip()]
        names = list(chaos.SCENARIOS) if names in (["all"], []) else names
        unknown = [n for n in names if n not in chaos.SCENARIOS]
        if unknown:
            raise CommandError(f"Unknown scenario {', '.join(unknown)}: choose from {', '.join(chaos.SCENARIOS)}.")
        names = [n for n in chaos.SCENARIOS if n in names]  # in the run's order, once each
        needed = sum(chaos.SCENARIOS[n].minimum for n in names) if len(names) > 1 else chaos.SCENARIOS[names[0]].minimum
        if options["invoices"] < needed or options["workers"] < 2:
            raise CommandError(f"--invoices must be at least {needed} for these scenarios and --workers at least 2.")
        if not 1 <= options["organisations"] <= 1000:
            raise CommandError("--organisations must be 1 to 1000.")
        if options["outage_seconds"] < 2:
            raise CommandError("--outage-seconds must be at least 2.")
        try:
            environment.flush_queues()
        except Exception as exc:
            raise CommandError(str(exc)) from None
        with environment.bench_database():
            box = sections.sandbox()
            figures = chaos.run(sandbox=box, tenant_id=sections._tenant(), invoices=options["invoices"],
                                workers=options["workers"], scenarios=names, outage_s=options["outage_seconds"],
                                organisations=options["organisations"])
        self.stdout.write(json.dumps(figures, indent=2))
        if chaos.failing(figures):
            sys.exit(1)
