"""The inbox: one list of everything waiting for the user — returned work first, then by due date (overdue first) —
shown in groups by due date and, inside a group, by plan and period (each plan's title once, not on every row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tasks.api.filters import MAX_ID
from tasks.lifecycle import Step
from tasks.models import Report, ReportingRound
from workflow import selectors
from workflow.templatetags.reporting import STEP_LABELS, due_state


@dataclass(frozen=True)
class InboxRound:
    """The items of one round (a plan's period) inside a due-date group: the plan is named here, once."""

    round: ReportingRound
    items: tuple[Report, ...]


@dataclass(frozen=True)
class InboxGroup:
    due_date: date
    label: str
    colour: str
    overdue_days: int
    returned: bool
    rounds: tuple[InboxRound, ...]

    @property
    def size(self) -> int:
        return sum(len(by_round.items) for by_round in self.rounds)


INBOX_PAGE_SIZE = 100


def _id(value: str | None) -> int | None:
    """A filter's id from the query string, or None for anything that is not one (a filter, not a form: a bad
    value shows the unfiltered inbox rather than an error)."""
    if value and value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


def inbox_filters(query: QueryDict) -> selectors.InboxFilters:
    """``?step=`` (fill, sign_off …), ``?unit=`` and ``?plan=`` (ids), ``?returned=1`` from the query string."""
    step = query.get("step", "")
    return selectors.InboxFilters(
        step=Step(step) if step in STEP_LABELS else None,
        unit_id=_id(query.get("unit")),
        plan_id=_id(query.get("plan")),
        returned=True if query.get("returned") == "1" else None,
    )


def _groups(items: list[Report], today: date) -> list[InboxGroup]:
    """Consecutive items of one due date (returned work apart), each group split by round in order of first
    appearance (two plans due the same day interleave in the index's order)."""
    groups = []
    for (returned, due), rows in groupby(items, key=lambda item: (item.returned, item.due_date)):
        by_round: dict[int, list[Report]] = {}
        for item in rows:
            by_round.setdefault(item.round_id, []).append(item)
        state = due_state(due, today)
        groups.append(InboxGroup(
            due_date=due, label=state.label, colour=state.colour, overdue_days=state.overdue_days, returned=returned,
            rounds=tuple(InboxRound(round=reports[0].round, items=tuple(reports)) for reports in by_round.values())))
    return groups


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    """What waits for the user: returned first, then grouped by due date (overdue first), by plan inside a group.
    Filters ``?step=``, ``?unit=``, ``?plan=``, ``?returned=1``; paginated by ``INBOX_PAGE_SIZE`` (a supervisor can
    have thousands of items). Five queries whatever their number, six for a unit head: counts, filter choices, page
    count, page ids, page rows, and the unit's own parts still being filled ("本单位待报")."""
    today = timezone.localdate()
    counts = selectors.inbox_counts(user=request.user)
    filters = inbox_filters(request.GET)
    units, plans = selectors.inbox_choices(user=request.user)
    page = Paginator(selectors.inbox(user=request.user, filters=filters), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page"))
    step = str(filters.step) if filters.step else ""
    # The other filters, kept by the step tabs and the pager.
    kept = {key: value for key, value in (("unit", filters.unit_id), ("plan", filters.plan_id),
                                          ("returned", 1 if filters.returned else None)) if value is not None}
    tabs = [(key, str(label), counts.get(key, 0)) for key, label in STEP_LABELS.items()]
    unit_pending, unit_pending_more = selectors.unit_pending_parts(user=request.user)
    return render(request, "workflow/inbox.html", {
        "groups": _groups(list(page.object_list), today), "tabs": tabs, "step": step, "total": counts["total"],
        "today": today, "nav": "inbox", "overdue": counts["overdue"], "page": page, "filters": filters,
        "units": units, "plans": plans, "filtered": bool(kept),
        "unit_pending": unit_pending, "unit_pending_more": unit_pending_more,
        "kept_query": urlencode(kept), "page_query": urlencode({**kept, **({"step": step} if step else {})}),
    })
