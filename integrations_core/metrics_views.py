"""/metrics: Prometheus' text format (OpenMetrics when the scraper asks for it), for a scraper holding the bearer
token `METRICS_TOKEN` or a signed-in staff member."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client.exposition import choose_encoder

from .metrics import REGISTRY


def _allowed(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # No token set: only staff sessions (an empty token must never match an empty "Bearer ").
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        # 401, not 404: the path is the conventional one (hiding it hides nothing), and a scraper with a missing or
        # rotated token then shows "401 Unauthorized" on Prometheus' targets page instead of a puzzling "not found".
        # The answer says nothing else, whichever of the two (no token, a wrong one) it was.
        return HttpResponse("Unauthorized\n", status=401, content_type="text/plain; charset=utf-8",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(REGISTRY), content_type=content_type)
