"""Server-rendered pages of the register: home, plan, task, unit and search.

Views are thin: they read the request, call one page selector from ``tasks.selectors`` and
render. Every page needs a signed-in user; what they may read is decided by the selectors.
The unit page lives here, not in ``units``, because it shows tasks (``units`` imports no
other app of ours).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from tasks.models import PlanTask
from tasks.selectors import (
    TaskFilters,
    plan_get,
    plan_summaries,
    plan_tree,
    plan_units,
    register_search,
    task_detail,
    task_is_overdue,
    unit_work,
)
from units.models import Unit
from units.selectors import membership_history, unit_list, user_memberships

# The unit page shows this many of the latest membership changes (the admin keeps them all).
MEMBERSHIP_HISTORY_ROWS = 50


class PlanFilterForm(forms.Form):
    """The plan page's GET filters. An unknown value in one field is ignored, not an error page."""

    unit = forms.ChoiceField(label=_("单位"), required=False)
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部类型")), *PlanTask.Kind.choices])
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *PlanTask.Status.choices]
    )
    importance = forms.ChoiceField(
        label=_("重要程度"), required=False, choices=[("", _("全部重要程度")), *PlanTask.Importance.choices]
    )
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units_by_code = {unit.code: unit for unit in units}
        self.fields["unit"].choices = [("", _("全部单位")), *((unit.code, unit.display_name) for unit in units)]

    def task_filters(self) -> TaskFilters:
        """The valid filters (fields with errors count as "any")."""
        self.is_valid()
        data = self.cleaned_data
        return TaskFilters(
            unit=self.units_by_code.get(data.get("unit") or ""),
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            importance=data.get("importance") or "",
            q=(data.get("q") or "").strip(),
        )


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Plans the user may read, with figures, and the user's own units."""
    today = timezone.localdate()
    return render(
        request,
        "tasks/home.html",
        {
            "summaries": plan_summaries(user=request.user, today=today),
            "memberships": list(user_memberships(user=request.user).order_by("unit__order", "role")),
            "today": today,
            "nav": "plans",
        },
    )


@login_required
@require_GET
def plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The plan with its parts → tasks tree, filterable by unit, kind, status, importance and text."""
    plan = plan_get(user=request.user, code=code)
    if plan is None:
        raise Http404(_("没有这个行动方案"))
    today = timezone.localdate()
    form = PlanFilterForm(request.GET or None, units=list(plan_units(user=request.user, plan=plan)))
    filters = form.task_filters() if form.is_bound else TaskFilters()
    tree = plan_tree(user=request.user, plan=plan, today=today, filters=filters)
    return render(
        request,
        "tasks/plan_detail.html",
        {"plan": plan, "tree": tree, "form": form, "filters": filters, "today": today, "nav": "plans"},
    )


@login_required
@require_GET
def task_detail_page(request: HttpRequest, code: str, task_code: str) -> HttpResponse:
    """One task: ancestors, text, units, dates, children, indicators, milestones and audit trail."""
    plan = plan_get(user=request.user, code=code)
    detail = task_detail(user=request.user, plan=plan, code=task_code) if plan is not None else None
    if detail is None:
        raise Http404(_("没有这项任务"))
    today = timezone.localdate()
    return render(
        request,
        "tasks/task_detail.html",
        {
            "plan": plan,
            "detail": detail,
            "task": detail.task,
            "task_overdue": task_is_overdue(detail.task, today=today),
            "today": today,
            "nav": "plans",
        },
    )


@login_required
@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A unit: what it leads and contributes to, by plan; upcoming and overdue milestones; for its members and
    supervisors, the latest changes of who holds which role in it."""
    unit = get_object_or_404(unit_list(user=request.user), code=code)
    today = timezone.localdate()
    return render(
        request,
        "tasks/unit_detail.html",
        {"unit": unit, "work": unit_work(user=request.user, unit=unit, today=today), "today": today, "nav": "units",
         "membership_events": list(membership_history(user=request.user, unit=unit)[:MEMBERSHIP_HISTORY_ROWS])},
    )


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search tasks, indicators, units and milestones; each kind capped at 50 with its count."""
    # A NUL is nothing anyone searches for, and PostgreSQL refuses it in text (a 500): searched without it.
    query = request.GET.get("q", "").replace("\x00", "")[:100]
    return render(
        request,
        "tasks/search.html",
        {"results": register_search(user=request.user, query=query), "q": query.strip(), "today": timezone.localdate()},
    )
