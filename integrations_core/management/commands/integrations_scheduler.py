"""`python manage.py integrations_scheduler`: the delayed-job scheduler, as its own process (run two or more)."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations_core import queue
from integrations_core.scheduler import LOCK_SECONDS, StandbyScheduler


class Command(BaseCommand):
    help = ("Move delayed jobs (coalesced pushes, retries) onto their queues when due. Run two or more: one "
            f"holds the lock, the others take over within {LOCK_SECONDS} s if it dies.")

    def add_arguments(self, parser):
        parser.add_argument("queues", nargs="*", default=[queue.PUSHES, queue.BULK, queue.MAINTENANCE])

    def handle(self, *args, **options):
        if not settings.INTEGRATIONS_ASYNC_JOBS:
            raise CommandError("No REDIS_URL is set: jobs run in-process and need no scheduler.")
        level = logging.INFO if options["verbosity"] > 1 else logging.WARNING
        queues = [queue.get_queue(name) for name in options["queues"]]
        StandbyScheduler(queues, connection=queue.redis(), logging_level=level).work()
