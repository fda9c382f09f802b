"""Pages of the unit directory. Pages that show a unit's tasks live in ``tasks.views``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from units.selectors import track_list, unit_list


@login_required
@require_GET
def unit_directory(request: HttpRequest) -> HttpResponse:
    """All active units grouped by track (赛道), then the units that are not ranked."""
    return render(
        request,
        "units/unit_list.html",
        {
            "tracks": list(track_list(user=request.user)),
            "unranked": list(unit_list(user=request.user).filter(track__isnull=True, active=True).order_by("order")),
            "nav": "units",
        },
    )
