"""/health/: the database, the accounting plugins, and (when jobs run on Redis) Redis and the RQ queues, by
django-health-check."""

from __future__ import annotations

import dataclasses

from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Queues(HealthCheck):
    """Each RQ queue answers; reports queued, failed and scheduled jobs and the workers listening."""

    summary: str = dataclasses.field(default="", repr=False)

    def run(self) -> None:
        from rq import Worker

        from . import queue

        parts = []
        try:
            for name in settings.RQ_QUEUES:
                q = queue.get_queue(name)
                parts.append(f"{name}: {q.count} queued, {q.failed_job_registry.count} failed, "
                             f"{q.scheduled_job_registry.count} scheduled, {Worker.count(queue=q)} workers")
        except Exception as exc:  # the message must not carry the URL (it may hold a password)
            raise ServiceUnavailable(f"RQ queues unreachable ({type(exc).__name__})") from None
        self.summary = "; ".join(parts)

    def pretty_status(self) -> str:
        return self.summary or "OK"


@dataclasses.dataclass
class Plugins(HealthCheck):
    """Every installed accounting plugin loaded; one that failed is named with why (the others still work)."""

    summary: str = dataclasses.field(default="", repr=False)

    def run(self) -> None:
        from . import registry

        failed = registry.failed_plugins()
        if failed:
            raise ServiceUnavailable("; ".join(f"{f.name} failed to load: {f.error}" for f in failed)[:1000])
        self.summary = ", ".join(registry.providers())

    def pretty_status(self) -> str:
        return self.summary or "OK"


def _checks():
    checks = ["health_check.checks.Database", Plugins]
    if settings.INTEGRATIONS_ASYNC_JOBS:
        from redis.asyncio import Redis as RedisClient

        checks.append(("health_check.contrib.redis.Redis",
                       {"client_factory": lambda: RedisClient.from_url(settings.REDIS_URL)}))
        checks.append(Queues)
    return checks


class HealthView(HealthCheckView):
    def get_checks(self):
        self.checks = _checks()
        return super().get_checks()

    def render_to_response_json(self, status):
        from django.http import JsonResponse

        body = {}
        for result in self.results:
            summary = getattr(result.check, "summary", "")
            body[repr(result.check)] = str(result.error) if result.error else (f"OK ({summary})" if summary else "OK")
        return JsonResponse(body, status=status)
