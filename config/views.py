"""Project-level views: the health check, and the 404/500 answers of paths no view handled.

Under ``/api/`` an error is always the API's JSON contract (``{detail, code, errors}``, ``tasks.api.errors``), never
an HTML page: a path no route matches (404) and a bug (500) included. Pages get the site's HTML pages.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from tasks.api.errors import NOT_FOUND


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for the demo runner and load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the contract's 404 under /api/ (never saying whether the object exists), the page otherwise."""
    if _is_api(request):
        return JsonResponse({"detail": str(NOT_FOUND), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the contract's 500 under /api/, templates/500.html otherwise (which claims nothing about
    who was told: the error is logged, not mailed)."""
    if _is_api(request):
        return JsonResponse(
            {"detail": _("服务器内部错误，请稍后重试；如果一再出现，请联系管理员。"), "code": "server_error"},
            status=500,
        )
    return defaults.server_error(request)
