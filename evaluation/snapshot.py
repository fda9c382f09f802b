"""Facts for the rules, read from the register and the reports in a fixed number of queries whatever the plan's
size. Only approved work counts: milestone completions (applied on approval) and indicator values from approved
reports (an indicator's latest value is that of its latest approved period). A round whose due date has passed
counts as missed for a task while its task report has not been submitted (submitted late, it is late, not missed).

Reads only; scoping is the caller's (``evaluation.selectors``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from evaluation.rules import IndicatorFacts, MilestoneFacts, TaskFacts
from tasks.models import Indicator, IndicatorTarget, IndicatorValue, Milestone, PlanTask, Report, ReportingRound


def year_end(year: int) -> date:
    return date(year, 12, 31)


def task_facts(*, task_ids: Iterable[int], as_of: date) -> dict[int, TaskFacts]:
    """The rules' facts for each task id, as of ``as_of`` (6 queries for any number of tasks)."""
    ids = list(task_ids)
    tasks = dict(PlanTask.objects.filter(pk__in=ids).values_list("pk", "status"))
    milestones: dict[int, list[MilestoneFacts]] = defaultdict(list)
    for task_id, title, due, weight, status, done_on in (
        Milestone.objects.filter(task_id__in=ids)
        .order_by("task_id", "due_date", "order", "pk")
        .values_list("task_id", "title", "due_date", "weight", "status", "completed_date")
    ):
        done = done_on if status == Milestone.Status.DONE and done_on is not None else None
        milestones[task_id].append(MilestoneFacts(title, due, weight if weight is not None else Decimal(1), done))
    indicators = list(
        Indicator.objects.filter(task_id__in=ids)
        .order_by("task_id", "order", "pk")
        .values_list("pk", "task_id", "name", "baseline_value", "baseline_year", "target_value", "target_year")
    )
    indicator_ids = [row[0] for row in indicators]
    targets: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for indicator_id, year, value in IndicatorTarget.objects.filter(indicator_id__in=indicator_ids).values_list(
        "indicator_id", "year", "value"
    ):
        targets[indicator_id].append((year_end(year), value))
    latest: dict[int, Decimal] = {}
    for indicator_id, value in (
        IndicatorValue.objects.filter(indicator_id__in=indicator_ids, approved_at__date__lte=as_of)
        .order_by("indicator_id", "round__period_start", "approved_at")
        .values_list("indicator_id", "value")
    ):
        latest[indicator_id] = value  # ordered by period: the latest period's approved value wins
    by_task: dict[int, list[IndicatorFacts]] = defaultdict(list)
    for pk, task_id, name, baseline, baseline_year, final, final_year in indicators:
        path = {year_end(final_year): final, **dict(targets[pk])}
        by_task[task_id].append(
            IndicatorFacts(name, baseline, year_end(baseline_year), tuple(sorted(path.items())), latest.get(pk))
        )
    reported: set[int] = set()
    missed: dict[int, list[str]] = defaultdict(list)
    for task_id, period, approved_at, submitted_at in (
        Report.objects.filter(task_id__in=ids, kind=Report.Kind.TASK, round__due_date__lt=as_of)
        .exclude(round__status=ReportingRound.Status.OPENING)
        .order_by("task_id", "round__period_start")
        .values_list("task_id", "round__period", "approved_at", "submitted_at")
    ):
        if approved_at is not None and approved_at.date() <= as_of:
            reported.add(task_id)
        if submitted_at is None or submitted_at.date() > as_of:
            missed[task_id].append(period)
    return {
        task_id: TaskFacts(
            milestones=tuple(milestones[task_id]),
            indicators=tuple(by_task[task_id]),
            accepted=status == PlanTask.Status.DONE,
            reported=task_id in reported,
            missed_periods=tuple(missed[task_id]),
        )
        for task_id, status in tasks.items()
    }
