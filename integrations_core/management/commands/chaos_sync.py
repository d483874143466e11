"""`python manage.py chaos_sync [--invoices N]` (`make chaos`): the fault-injection run, printed as JSON;
exit 1 if anything was lost or duplicated."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from integrations_core.bench import environment


class Command(BaseCommand):
    help = "Invoices over 4 workers with 20% faults, a SIGKILLed worker and a mid-run token expiry; JSON out."

    def add_arguments(self, parser):
        parser.add_argument("--invoices", type=int, default=10000)
        parser.add_argument("--workers", type=int, default=4)

    def handle(self, *args, **options):
        from integrations_core.bench import chaos, sections

        if options["invoices"] < 10 or options["workers"] < 2:
            raise CommandError("--invoices must be at least 10 and --workers at least 2.")
        try:
            environment.flush_queues()
        except Exception as exc:
            raise CommandError(str(exc)) from None
        with environment.bench_database():
            box, world = sections._world()
            figures = chaos.run(sandbox=box, world=world, tenant_id=sections._tenant(), invoices=options["invoices"],
                                workers=options["workers"])
        self.stdout.write(json.dumps(figures, indent=2))
        if figures["duplicates"] or figures["lost_triggers"]:
            sys.exit(1)
