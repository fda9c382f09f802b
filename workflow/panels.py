"""The reporting loop's panels on the register's pages (``tasks.panels``), registered in ``WorkflowConfig.ready()``.

The task page shows the task's reports by round: the consolidated task report and each unit's part with its state.
The home page shows the user's next steps: per step, how many items wait and the earliest due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from tasks.models import PlanTask, Report, ReportingRound
from workflow import selectors

TASK_REPORTS_TEMPLATE = "workflow/_task_reports.html"
NEXT_STEPS_TEMPLATE = "workflow/_next_steps.html"


@dataclass(frozen=True)
class RoundReports:
    round: ReportingRound
    task_report: Report | None
    parts: tuple[Report, ...]


def task_rounds(*, user: AbstractBaseUser | AnonymousUser | None, task: PlanTask) -> list[RoundReports]:
    """The task's reports the user may see, by round (newest first): the task report and the unit parts.
    One query; nothing for users who see none of them."""
    if user is None or not user.is_authenticated:
        return []
    reports = selectors.report_list(user=user).filter(task=task).order_by(
        "-round__period_start", "round_id", "unit__order", "unit_id")
    rounds: dict[int, tuple[ReportingRound, list[Report], list[Report]]] = {}
    for report in reports:
        _round, task_reports, parts = rounds.setdefault(report.round_id, (report.round, [], []))
        (parts if report.kind == Report.Kind.PART else task_reports).append(report)
    return [RoundReports(round=round_, task_report=task_reports[0] if task_reports else None, parts=tuple(parts))
            for round_, task_reports, parts in rounds.values()]


def task_reports_panel(request: HttpRequest | None, task: PlanTask) -> dict[str, Any]:
    """The context of the task page's reports panel: ``report_rounds``, scoped to the requesting user."""
    return {"report_rounds": task_rounds(user=getattr(request, "user", None), task=task)}


def next_steps_panel(request: HttpRequest | None, obj: Any) -> dict[str, Any]:
    """The context of the home page's "next steps" panel: ``next_steps`` (``selectors.inbox_next_steps``), one
    query for a signed-in user, none otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"next_steps": []}
    return {"next_steps": selectors.inbox_next_steps(user=user)}
