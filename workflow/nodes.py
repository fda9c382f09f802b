"""What the flow's nodes need besides viewflow's own: the view every human node names.

Viewflow's View node wants a view; we never mount viewflow's UI (our services drive the flow headless and our
pages read the reports), so that view only sends a stray visitor to the inbox.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def step_page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Viewflow's node view slot: any visit goes to our inbox, where the report's own page is linked."""
    return redirect("inbox")
