"""Pages of the reporting flow."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def step_page(request: HttpRequest, **kwargs) -> HttpResponse:
    """Viewflow's node view slot: we never mount viewflow's own UI, so any visit goes to our inbox."""
    return redirect("inbox")
