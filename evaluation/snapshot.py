"""Facts for the rules, read from the register and the reports in a fixed number of queries whatever the plan's
size. Only approved work counts: milestone completions (applied on approval) and indicator values from approved
reports (an indicator's latest value is that of its latest approved period). A round whose due date has passed
counts as missed for a task while its task report has not been submitted (submitted late, it is late, not missed).

Reads only; scoping is the caller's (``evaluation.selectors``).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import BigIntegerField, Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from evaluation.rules import Colour, IndicatorFacts, Light, MilestoneSums, RuleSpec, TaskFacts, UnitFacts
from evaluation.rules.scoring import IndicatorShare, ProcessCounts, TaskShare, interim_target
from tasks.models import (
    AuditEvent,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Milestone,
    MilestoneClaim,
    PlanTask,
    Report,
    ReportAttachment,
    ReportingRound,
    TaskUnit,
)

ZERO = Decimal(0)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a plan is judged: the rows, facts and lights (tens of thousands of
    objects, none in a cycle) are freed by reference counting, and each collection their allocation triggers walks
    the whole heap (a third of the judging's time at province scale). Collection resumes on exit, also on error; an
    outer pause is kept."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def year_end(year: int) -> date:
    return date(year, 12, 31)


def day_end(day: date) -> datetime:
    """The first instant after ``day`` in the site's time zone: "on or before day" is "before this"."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def yearly_targets(targets: QuerySet[IndicatorTarget]) -> dict[int, list[tuple[int, Decimal]]]:
    """Each indicator's interim targets as (year, value), for the indicators the queryset selects."""
    by_indicator: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for indicator_id, year, value in targets.values_list("indicator_id", "year", "value"):
        by_indicator[indicator_id].append((year, value))
    return by_indicator


def latest_values(values: QuerySet[IndicatorValue]) -> dict[int, Decimal]:
    """Each indicator's approved value of its latest period, among the values the queryset selects."""
    latest: dict[int, Decimal] = {}
    for indicator_id, value in values.order_by("indicator_id", "round__period_start", "approved_at").values_list(
        "indicator_id", "value"
    ):
        latest[indicator_id] = value  # ordered by period: the latest period's approved value wins
    return latest


def milestone_sums(milestones: QuerySet[Milestone], as_of: date) -> dict[int, MilestoneSums]:
    """The SQL twin of ``evaluation.rules.lights.milestone_sums``, for every task whose milestones the queryset
    selects (2 queries): weights in all, due by ``as_of`` and done by it, summed in SQL, and each task's oldest
    milestone past due and not done by ``as_of`` (only those are fetched, with any that share its due date: the title
    breaks the tie in Python, as the rule does, whatever the database's collation). A test holds the twin to the rule.
    Tasks without milestones are left out."""
    done = Q(status=Milestone.Status.DONE, completed_date__lte=as_of)
    late = Q(due_date__lt=as_of) & ~done
    weights = DecimalField(max_digits=24, decimal_places=Milestone._meta.get_field("weight").decimal_places)
    oldest: dict[int, tuple[date, str]] = {}
    earlier = Milestone.objects.filter(late, task_id=OuterRef("task_id"), due_date__lt=OuterRef("due_date"))
    for task_id, due, title in (
        milestones.filter(late).filter(~Exists(earlier)).order_by().values_list("task_id", "due_date", "title")
    ):
        if task_id not in oldest or (due, title) < oldest[task_id]:
            oldest[task_id] = (due, title)
    return {
        task_id: MilestoneSums(as_of, total, due or ZERO, done_weight or ZERO, oldest.get(task_id))
        for task_id, total, due, done_weight in milestones.order_by()
        .values("task_id")
        .annotate(
            total=Sum("weight", output_field=weights),
            due=Sum("weight", filter=Q(due_date__lte=as_of), output_field=weights),
            done=Sum("weight", filter=done, output_field=weights),
        )
        .values_list("task_id", "total", "due", "done")
    }


def task_facts(*, plan_id: int, as_of: date, task_ids: Iterable[int] | None = None) -> dict[int, TaskFacts]:
    """The rules' facts for the tasks of a plan (all of them, or those of ``task_ids``), as of ``as_of``: 7 queries
    for any number of tasks. A whole plan is selected by the plan, not by a list of thousands of ids. Milestones come
    summed (``TaskFacts.sums``, see :func:`milestone_sums`), not one by one."""
    ids = None if task_ids is None else list(task_ids)

    def scoped(qs, path: str):
        return qs if ids is None else qs.filter(**{f"{path}__in": ids})

    cutoff = day_end(as_of)
    task_reports = scoped(
        Report.objects.filter(round__plan_id=plan_id, kind=Report.Kind.TASK, round__due_date__lt=as_of), "task_id"
    ).exclude(round__status=ReportingRound.Status.OPENING)
    # Decided in SQL: a plan's rounds hold tens of thousands of task reports, and only these two facts matter.
    approved = task_reports.filter(task_id=OuterRef("pk"), approved_at__lt=cutoff)
    tasks = scoped(PlanTask.objects.filter(plan_id=plan_id), "pk").values_list("pk", "status", Exists(approved))
    sums = milestone_sums(scoped(Milestone.objects.filter(task__plan_id=plan_id), "task_id"), as_of)
    no_milestones = MilestoneSums(as_of)
    indicators = list(
        scoped(Indicator.objects.filter(plan_id=plan_id), "task_id")
        .order_by("task_id", "order", "pk")
        .values_list("pk", "task_id", "name", "baseline_value", "baseline_year", "target_value", "target_year")
    )
    targets = yearly_targets(scoped(IndicatorTarget.objects.filter(indicator__plan_id=plan_id), "indicator__task_id"))
    latest = latest_values(
        scoped(IndicatorValue.objects.filter(indicator__plan_id=plan_id, approved_at__lt=cutoff), "indicator__task_id")
    )
    by_task: dict[int, list[IndicatorFacts]] = defaultdict(list)
    for pk, task_id, name, baseline, baseline_year, final, final_year in indicators:
        path = {year_end(final_year): final, **{year_end(year): value for year, value in targets[pk]}}
        by_task[task_id].append(
            IndicatorFacts(name, baseline, year_end(baseline_year), tuple(sorted(path.items())), latest.get(pk))
        )
    missed: dict[int, list[str]] = defaultdict(list)
    for task_id, period in (
        # Closed rounds say it themselves (missing when they closed); open rounds past due: not submitted by as_of.
        task_reports.filter(
            Q(missing_at_close=True)
            | Q(missing_at_close__isnull=True) & (Q(submitted_at__isnull=True) | Q(submitted_at__gte=cutoff))
        )
        .order_by("task_id", "round__period_start")
        .values_list("task_id", "round__period")
    ):
        missed[task_id].append(period)
    return {
        task_id: TaskFacts(
            indicators=tuple(by_task[task_id]) if task_id in by_task else (),
            accepted=status == PlanTask.Status.DONE,
            reported=reported,
            missed_periods=tuple(missed[task_id]) if task_id in missed else (),
            sums=sums.get(task_id, no_milestones),
        )
        for task_id, status, reported in tasks
    }


SUPERVISOR_RETURNS = ("report.return_by_supervisor", "report.return_part_by_supervisor")


def unit_facts(
    *, plan_id: int, period_start: date, period_end: date, as_of: date, lights: dict[int, Light], spec: RuleSpec
) -> dict[int, UnitFacts]:
    """The scoring facts of every unit with a task in the plan, for the rounds of a period (9 queries, any size).

    - tasks: each task the unit leads (role lead) or shares (responsible), with its light's E and A;
    - indicators: those of the tasks it leads, weighted by the task's importance, against the target in force;
    - process: its reports (parts and, for a lead unit, task reports) in the period's rounds due by ``as_of``:
      on time; reviewed = approved or returned by a supervisor, first pass = approved with no supervisor return;
      milestone claims on its approved reports, with evidence = a written note or a file attached to that milestone.
    """
    tasks = list(
        PlanTask.objects.filter(plan_id=plan_id).values_list("pk", "code", "title", "importance", "lead_unit_id")
    )
    cutoff = day_end(as_of)
    shares: dict[int, list[TaskShare]] = defaultdict(list)
    responsible: dict[int, list[int]] = defaultdict(list)
    for task_id, unit_id in TaskUnit.objects.filter(task__plan_id=plan_id).order_by().values_list("task_id", "unit_id"):
        responsible[task_id].append(unit_id)
    importance = {}
    for pk, code, title, weight_class, lead_id in tasks:
        importance[pk] = weight_class
        light = lights.get(pk)
        expected, actual, colour = (light.expected, light.actual, light.colour) if light else (ZERO, ZERO, Colour.GREY)
        if lead_id:
            shares[lead_id].append(TaskShare(code, "lead", weight_class, expected, actual, colour, title))
        others = [unit_id for unit_id in responsible.get(pk, ()) if unit_id != lead_id]
        if others:
            share = TaskShare(code, "responsible", weight_class, expected, actual, colour, title)  # frozen: shared
            for unit_id in others:
                shares[unit_id].append(share)
    leads = {pk: lead_id for pk, _c, _t, _i, lead_id in tasks}
    indicators = list(
        Indicator.objects.filter(plan_id=plan_id).values_list(
            "pk", "task_id", "code", "direction", "baseline_value", "target_value", "target_year"
        )
    )
    targets = yearly_targets(IndicatorTarget.objects.filter(indicator__plan_id=plan_id))
    latest = latest_values(IndicatorValue.objects.filter(indicator__plan_id=plan_id, approved_at__lt=cutoff))
    indicator_shares: dict[int, list[IndicatorShare]] = defaultdict(list)
    for pk, task_id, code, direction, baseline, final, final_year in indicators:
        lead_id = leads.get(task_id)
        if lead_id is None:
            continue
        target = interim_target(tuple(targets[pk]), (final_year, final), as_of)
        weight = spec.importance_weight(importance[task_id])
        indicator_shares[lead_id].append(IndicatorShare(code, baseline, target, latest.get(pk), weight, direction))
    returned = AuditEvent.objects.filter(
        plan_id=plan_id, action__in=SUPERVISOR_RETURNS, object_type="report"
    ).values_list(Cast("object_id", BigIntegerField()), flat=True)
    approved = Q(status=Report.Status.APPROVED)
    process: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Counted in SQL, per unit: due, on time, reviewed (approved, or returned by a supervisor), first pass.
    for unit_id, due, on_time, reviewed, first_pass in (
        Report.objects.filter(
            round__plan_id=plan_id,
            round__period_start__gte=period_start,
            round__period_start__lte=period_end,
            round__due_date__lte=as_of,
        )
        .order_by()
        .values("unit_id")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(on_time=True)),
            reviewed=Count("pk", filter=approved | Q(pk__in=returned)),
            first_pass=Count("pk", filter=approved & ~Q(pk__in=returned)),
        )
        .values_list("unit_id", "due", "on_time", "reviewed", "first_pass")
    ):
        process[unit_id].update(due=due, on_time=on_time, reviewed=reviewed, first_pass=first_pass)
    # By the rounds' ids (a subquery): SQLite without statistics would otherwise walk every approved report.
    rounds = ReportingRound.objects.filter(
        plan_id=plan_id, period_start__gte=period_start, period_start__lte=period_end, due_date__lte=as_of
    ).values("pk")
    in_period = {"report__round__in": rounds, "report__status": Report.Status.APPROVED}
    attached = set(
        ReportAttachment.objects.filter(milestone__isnull=False, **in_period)
        .order_by()
        .values_list("report_id", "milestone_id")
    )
    for unit_id, report_id, milestone_id, evidence in (
        MilestoneClaim.objects.filter(**in_period)
        .order_by()
        .values_list("report__unit_id", "report_id", "milestone_id", "evidence")
    ):
        counts = process[unit_id]
        counts["claims"] += 1
        counts["evidence"] += bool(evidence.strip()) or (report_id, milestone_id) in attached
    units = set(shares) | set(indicator_shares) | set(process)
    return {
        unit_id: UnitFacts(
            unit=str(unit_id),
            tasks=tuple(shares[unit_id]),
            indicators=tuple(indicator_shares[unit_id]),
            process=ProcessCounts(
                parts_due=process[unit_id]["due"],
                parts_on_time=process[unit_id]["on_time"],
                reviewed=process[unit_id]["reviewed"],
                first_pass=process[unit_id]["first_pass"],
                claims=process[unit_id]["claims"],
                claims_with_evidence=process[unit_id]["evidence"],
            ),
        )
        for unit_id in sorted(units)
    }
