"""`python manage.py bench_sync`: the benchmarks, printed as one JSON object (`make bench`)."""

import json
import platform
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from tests.bench import environment


class Command(BaseCommand):
    help = "Measure the sync against the local Xero's limits on PostgreSQL, Redis and real RQ workers; print JSON."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test of the benchmark)")
        parser.add_argument("--only", default="", help="comma-separated sections to run")

    def handle(self, *args, **options):
        from tests.bench import sections

        only = {s for s in options["only"].split(",") if s}
        unknown = only - set(sections.SECTIONS)
        if unknown:
            raise CommandError(f"unknown sections: {', '.join(sorted(unknown))}; known: {', '.join(sections.SECTIONS)}")
        try:
            environment.flush_queues()
        except Exception as exc:
            raise CommandError(str(exc)) from None
        started = time.perf_counter()
        figures = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                               "cpus": __import__("os").cpu_count()}}
        with environment.bench_database():
            for name, run in sections.SECTIONS.items():
                if only and name not in only:
                    continue
                environment.flush_queues()
                self.stderr.write(f"bench: {name} ...")
                figures[name] = run(quick=options["quick"])
        figures["total_wall_s"] = round(time.perf_counter() - started, 1)
        self.stdout.write(json.dumps(figures, indent=2, default=str))
