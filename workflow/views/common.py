"""What the pages of the reporting loop share: the refusal page (403) and a service's errors as sentences."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "workflow/403.html", {"message": message or _("你无权执行此步骤。")}, status=403)


def _error_messages(exc: ValidationError, labels: dict[str, str] | None = None) -> list[str]:
    """A service's field errors as sentences; ``labels`` names a field path (``indicator_values[0]``)."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    result = []
    for key, errors in exc.message_dict.items():
        label = (labels or {}).get(key.split(".")[0], "")
        result += [_("%(field)s：%(error)s") % {"field": label, "error": error} if label else error
                   for error in errors]
    return result
