"""`python manage.py integrations_worker [--threads N] [--nice N] [--burst] [queue ...]`: the service's RQ workers,
N threads of one process (integrations_core.worker_threads)."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations_core import queue
from integrations_core.worker_threads import WorkerThreads

LEVELS = {0: "WARNING", 1: "INFO"}  # as rqworker's -v: 0 warnings and errors only, 2 and more DEBUG


class Command(BaseCommand):
    help = ("Work the queues with N RQ workers, each in a thread of this one process: pushes overlap while "
            "they wait on the accounting system. SIGTERM or SIGINT: every worker stops after its current job; "
            "a second one: at once.")

    def add_arguments(self, parser):
        parser.add_argument("queues", nargs="*", default=[queue.PUSHES, queue.BULK, queue.MAINTENANCE])
        parser.add_argument("--threads", type=int, default=settings.INTEGRATIONS_WORKER_THREADS,
                            help="workers in this process (default INTEGRATIONS_WORKER_THREADS: "
                                 f"{settings.INTEGRATIONS_WORKER_THREADS})")
        parser.add_argument("--nice", type=int, default=0,
                            help="run at this lower CPU priority (nice), e.g. 10 for bulk work, so that the live "
                                 "pushes' processes come first on a busy machine")
        parser.add_argument("--burst", action="store_true", help="stop once the queues are empty")

    def handle(self, *args, **options):
        if not settings.INTEGRATIONS_ASYNC_JOBS:
            raise CommandError("No REDIS_URL is set: jobs run in-process and need no worker.")
        if options["threads"] < 1:
            raise CommandError("--threads must be at least 1")
        if options["nice"] < 0 or options["nice"] > 19:
            raise CommandError("--nice must be from 0 to 19")
        if options["nice"]:
            os.nice(options["nice"])
        level = LEVELS.get(options["verbosity"], "DEBUG")
        pool = WorkerThreads(options["queues"], threads=options["threads"], logging_level=level)
        code = pool.run(burst=options["burst"])
        if code:
            raise SystemExit(code)
