"""Site-wide 404 and 500 pages: the API's error shape under /api/, Django's plain pages elsewhere."""

from django.http import JsonResponse
from django.views import defaults


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def json_or_html_404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"code": "not_found", "message": "Not found.", "field_errors": {}}, status=404)
    return defaults.page_not_found(request, exception)


def json_or_html_500(request):
    if _wants_json(request):
        return JsonResponse({"code": "server_error", "message": "Something went wrong on our side; it has been "
                             "logged.", "field_errors": {}}, status=500)
    return defaults.server_error(request)
