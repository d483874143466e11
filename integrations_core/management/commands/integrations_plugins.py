"""`python manage.py integrations_plugins [--json]`: the registered providers and their capabilities, and any
plugin that failed to load, with why."""

import dataclasses
import json

from django.core.management.base import BaseCommand

from integrations_core import registry


class Command(BaseCommand):
    help = "List the registered accounting providers with their key, name and capabilities."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, **options):
        rows = [dataclasses.asdict(c) for c in registry.capabilities()]
        failed = registry.failed_plugins()
        if options["json"]:
            rows += [{"key": f.name, "failed": f.error, "entry_point": f.target} for f in failed]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        self.stdout.write(f"{'key':<14} {'name':<16} {'supports_resync':<16} manual re-sync")
        for row in rows:
            self.stdout.write(
                f"{row['key']:<14} {row['name']:<16} {str(row['supports_resync']).lower():<16} "
                f"{row['manual_resync'] or '-'}"
            )
        for broken in failed:  # listed, not raised: the other providers work
            self.stdout.write(f"{broken.name:<14} FAILED to load ({broken.target}): {broken.error}")
