"""The inbox: one list of everything waiting for the user, grouped by due date, overdue first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tasks.lifecycle import STEP_STATUS
from tasks.models import Report
from workflow import selectors
from workflow.templatetags.reporting import STEP_LABELS, due_state


@dataclass(frozen=True)
class InboxGroup:
    due_date: date
    label: str
    colour: str
    overdue_days: int
    items: tuple[Report, ...]


INBOX_PAGE_SIZE = 100


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    """What waits for the user, grouped by due date (overdue first); ``?step=`` keeps one step. Paginated by
    ``INBOX_PAGE_SIZE``: a supervisor can have thousands of items. Three queries whatever their number."""
    today = timezone.localdate()
    counts = selectors.inbox_counts(user=request.user)
    step = request.GET.get("step", "")
    if step not in STEP_LABELS:
        step = ""
    items = selectors.inbox(user=request.user)
    if step:
        items = items.filter(status=STEP_STATUS[step])
    page = Paginator(items, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    groups = []
    for due, rows in groupby(page.object_list, key=lambda item: item.round.due_date):
        state = due_state(due, today)
        groups.append(InboxGroup(due_date=due, label=state.label, colour=state.colour,
                                 overdue_days=state.overdue_days, items=tuple(rows)))
    tabs = [(key, str(label), counts.get(key, 0)) for key, label in STEP_LABELS.items()]
    return render(request, "workflow/inbox.html", {
        "groups": groups, "tabs": tabs, "step": step, "total": counts["total"], "today": today, "nav": "inbox",
        "overdue": counts["overdue"], "page": page,
    })
