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

from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    Exists,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from evaluation.rules import Colour, IndicatorFacts, Light, MilestoneSums, RuleSpec, TaskFacts, UnitFacts
from evaluation.rules.lights import roll_up_tree, task_lights
from evaluation.rules.scoring import IndicatorShare, ProcessCounts, TaskShare, interim_target
from tasks.lifecycle import RETURN_LEVELS, ReturnLevel
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
from tasks.supervision import duban_counts

ZERO = Decimal(0)


class RawRows:
    """The rows of a ``values_list`` queryset as the database driver gives them (one statement, fetched whole), and
    the ORM's conversion of one row (``convert``), to apply once per distinct row where thousands repeat: SQLite
    gives decimals as floats and dates as text, which the ORM converts row by row. The columns are those the
    queryset names, in that order."""

    def __init__(self, qs: QuerySet) -> None:
        query = qs.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        if not qs._fields or list(qs._fields) != names:  # values_list reorders such rows; keep to the plain case
            raise ValueError(f"RawRows needs a values_list whose columns come in select order: {names}")
        compiler = query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()
        self.connection = compiler.connection
        self.converters = list(compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]]).items())
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            self.rows: list[tuple] = cursor.fetchall()

    def convert(self, row: tuple) -> tuple:
        """The row as ``values_list`` would have given it (Django's converters, in order)."""
        if not self.converters:
            return tuple(row)
        values = list(row)
        for position, (converters, expression) in self.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, expression, self.connection)
            values[position] = value
        return tuple(values)


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
    Tasks without milestones are left out. Tasks whose sums are equal share one (frozen) :class:`MilestoneSums`."""
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
    sums = RawRows(
        milestones.order_by()
        .values("task_id")
        .annotate(
            total=Sum("weight", output_field=weights),
            due=Sum("weight", filter=Q(due_date__lte=as_of), output_field=weights),
            done=Sum("weight", filter=done, output_field=weights),
        )
        .values_list("task_id", "total", "due", "done")
    )
    # Thousands of tasks, a few hundred distinct sums: each converted and built once (one column's values convert
    # alike when they compare equal: the same type and, for a decimal, the column's scale).
    shared: dict[tuple, MilestoneSums] = {}
    by_task: dict[int, MilestoneSums] = {}
    for row in sums.rows:
        task_id = row[0]
        key = (row[1], row[2], row[3], oldest.get(task_id))
        each = shared.get(key)
        if each is None:
            _task, total, due, done_weight = sums.convert(row)
            each = shared[key] = MilestoneSums(as_of, total, due or ZERO, done_weight or ZERO, key[3])
        by_task[task_id] = each
    return by_task


class TaskRows:
    """A plan's tasks (all, or those of some ids) as one statement gives them: id, status, code, title, importance,
    lead unit, and whether the task has an approved report of a round due before ``as_of`` (decided in SQL: a plan's
    rounds hold tens of thousands of task reports). Read once for the lights and the units' shares."""

    REPORTED = 6  # the only column with a conversion (SQLite gives 0/1)

    def __init__(self, *, plan_id: int, as_of: date, ids: list[int] | None) -> None:
        approved = _task_reports(plan_id=plan_id, as_of=as_of, ids=None).filter(
            task_id=OuterRef("pk"), approved_at__lt=day_end(as_of)
        )
        tasks = PlanTask.objects.filter(plan_id=plan_id)
        if ids is not None:
            tasks = tasks.filter(pk__in=ids)
        self.raw = RawRows(
            tasks.annotate(reported=Exists(approved)).values_list(
                "pk", "status", "code", "title", "importance", "lead_unit_id", "reported"
            )
        )
        if {position for position, _c in self.raw.converters} - {self.REPORTED}:
            raise ValueError("task columns this backend converts are read raw")
        self.rows = self.raw.rows


def _task_reports(*, plan_id: int, as_of: date, ids: list[int] | None) -> QuerySet[Report]:
    """Task reports of the plan's rounds due before ``as_of`` (an opening round does not count yet)."""
    reports = Report.objects.filter(round__plan_id=plan_id, kind=Report.Kind.TASK, round__due_date__lt=as_of)
    if ids is not None:
        reports = reports.filter(task_id__in=ids)
    return reports.exclude(round__status=ReportingRound.Status.OPENING)


IndicatorRow = tuple[int, int, int, str, str, str, Decimal, int, Decimal, int]


class IndicatorRows:
    """A plan's indicators (all, or those of some tasks) in the model's order, their yearly targets and their latest
    approved values by ``as_of``: 3 queries, read once for the lights and the units' shares. Each row: id, task, order,
    name, code, direction, baseline value and year, final target value and year."""

    def __init__(self, *, plan_id: int, as_of: date, ids: list[int] | None) -> None:
        indicators = Indicator.objects.filter(plan_id=plan_id)
        targets = IndicatorTarget.objects.filter(indicator__plan_id=plan_id)
        values = IndicatorValue.objects.filter(indicator__plan_id=plan_id, approved_at__lt=day_end(as_of))
        if ids is not None:
            indicators = indicators.filter(task_id__in=ids)
            targets = targets.filter(indicator__task_id__in=ids)
            values = values.filter(indicator__task_id__in=ids)
        self.rows: list[IndicatorRow] = list(
            indicators.values_list(
                "pk", "task_id", "order", "name", "code", "direction", "baseline_value", "baseline_year",
                "target_value", "target_year",
            )
        )  # fmt: skip
        self.targets = yearly_targets(targets)
        self.latest = latest_values(values)


def task_facts(*, plan_id: int, as_of: date, task_ids: Iterable[int] | None = None,
               missed_window: int | None = None) -> dict[int, TaskFacts]:  # fmt: skip
    """The rules' facts for the tasks of a plan (all of them, or those of ``task_ids``), as of ``as_of``: 7 queries
    for any number of tasks. A whole plan is selected by the plan, not by a list of thousands of ids. Milestones come
    summed (``TaskFacts.sums``, see :func:`milestone_sums`), not one by one. Tasks with equal facts share one (frozen)
    :class:`TaskFacts`. Missed rounds are those among the plan's last ``missed_window`` rounds due (the rule spec's
    ``lights.missed_window``; None: every round due)."""
    ids = None if task_ids is None else list(task_ids)
    return _task_facts(
        plan_id=plan_id,
        as_of=as_of,
        ids=ids,
        missed_window=missed_window,
        tasks=TaskRows(plan_id=plan_id, as_of=as_of, ids=ids),
        indicators=IndicatorRows(plan_id=plan_id, as_of=as_of, ids=ids),
    )


def _task_facts(
    *, plan_id: int, as_of: date, ids: list[int] | None, tasks: TaskRows, indicators: IndicatorRows,
    missed_window: int | None,
) -> dict[int, TaskFacts]:
    milestones = Milestone.objects.filter(task__plan_id=plan_id)
    sums = milestone_sums(milestones if ids is None else milestones.filter(task_id__in=ids), as_of)
    no_milestones = MilestoneSums(as_of)
    by_task: dict[int, list[IndicatorFacts]] = defaultdict(list)
    targets, latest = indicators.targets, indicators.latest
    # By task, then the indicator's order and id (ints: Python's order is the database's).
    for pk, task_id, _o, name, _c, _d, baseline, baseline_year, final, final_year in sorted(
        indicators.rows, key=lambda row: (row[1], row[2], row[0])
    ):
        path = {year_end(final_year): final, **{year_end(year): value for year, value in targets[pk]}}
        by_task[task_id].append(
            IndicatorFacts(name, baseline, year_end(baseline_year), tuple(sorted(path.items())), latest.get(pk))
        )
    cutoff = day_end(as_of)
    due = _task_reports(plan_id=plan_id, as_of=as_of, ids=ids)
    if missed_window is not None:  # the last rounds due, as _task_reports counts them (a subquery)
        recent = (ReportingRound.objects.filter(plan_id=plan_id, due_date__lt=as_of)
                  .exclude(status=ReportingRound.Status.OPENING).order_by("-due_date", "-pk"))  # fmt: skip
        due = due.filter(round_id__in=recent.values("pk")[:missed_window])
    missed: dict[int, list[str]] = defaultdict(list)
    for task_id, period in (
        # Closed rounds say it themselves (missing when they closed); open rounds past due: not submitted by as_of.
        due.filter(
            Q(missing_at_close=True)
            | Q(missing_at_close__isnull=True) & (Q(submitted_at__isnull=True) | Q(submitted_at__gte=cutoff))
        )
        .order_by("task_id", "round__period_start")
        .values_list("task_id", "round__period")
    ):
        missed[task_id].append(period)
    missed_periods = {task_id: tuple(periods) for task_id, periods in missed.items()}
    # Most tasks have no indicator: those with equal flags, sums and missed rounds share one TaskFacts.
    shared: dict[tuple, TaskFacts] = {}
    facts: dict[int, TaskFacts] = {}
    done, reported_at = PlanTask.Status.DONE, TaskRows.REPORTED
    for row in tasks.rows:
        task_id = row[0]
        task_sums = sums.get(task_id, no_milestones)
        task_missed = missed_periods.get(task_id, ())
        if task_id in by_task:
            facts[task_id] = TaskFacts(
                indicators=tuple(by_task[task_id]),
                accepted=row[1] == done,
                reported=tasks.raw.convert(row)[reported_at],
                missed_periods=task_missed,
                sums=task_sums,
            )
            continue
        key = (row[1] == done, row[reported_at], id(task_sums), task_missed)
        each = shared.get(key)
        if each is None:
            reported = tasks.raw.convert(row)[reported_at]
            each = shared[key] = TaskFacts(
                accepted=key[0], reported=reported, missed_periods=task_missed, sums=task_sums
            )
        facts[task_id] = each
    return facts


def plan_judging(
    *, plan_id: int, period_start: date, period_end: date, as_of: date, spec: RuleSpec
) -> tuple[dict[int, Light], dict[int, UnitFacts]]:
    """Every task's light and every unit's scoring facts for a plan's period, as ``evaluation_compute`` judges them:
    :func:`task_facts` of the whole plan, ``task_lights`` of those and :func:`unit_facts`, reading the tasks and the
    indicators once for both, and the plan's tree for the parents' roll-up (12 queries, any size)."""
    tasks = TaskRows(plan_id=plan_id, as_of=as_of, ids=None)
    indicators = IndicatorRows(plan_id=plan_id, as_of=as_of, ids=None)
    facts = _task_facts(plan_id=plan_id, as_of=as_of, ids=None, tasks=tasks, indicators=indicators,
                        missed_window=spec.lights.missed_window)
    lights = task_lights(facts, as_of, spec)
    units = _unit_facts(plan_id=plan_id, period_start=period_start, period_end=period_end, as_of=as_of,
                        lights=lights, spec=spec, tasks=tasks, indicators=indicators)  # fmt: skip
    # The published lights roll parents up from the tasks below them; the units' scores read the tasks' own.
    return roll_up_tree(lights, task_tree(plan_id=plan_id)), units


# What ``str.strip()`` strips: every character Python counts as whitespace (29 of them, ASCII and Unicode).
WHITESPACE = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())


class Stripped(Func):
    """A text without the whitespace ``str.strip()`` strips from both ends, in SQL: SQLite's ``TRIM(x, characters)``
    and PostgreSQL's ``BTRIM(x, characters)`` take the same set (plain ``TRIM`` strips spaces only)."""

    function = "TRIM"
    output_field = TextField()

    def __init__(self, expression, **extra) -> None:
        super().__init__(expression, Value(WHITESPACE), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="BTRIM", **extra_context)


# The audit actions of a return by a supervisor: the one place that says which return is whose (tasks.lifecycle).
SUPERVISOR_RETURNS = tuple(action for action, level in RETURN_LEVELS.items() if level == ReturnLevel.SUPERVISOR)


def unit_facts(
    *, plan_id: int, period_start: date, period_end: date, as_of: date, lights: dict[int, Light], spec: RuleSpec
) -> dict[int, UnitFacts]:
    """The scoring facts of every unit with a task in the plan, for the rounds of a period (9 queries, any size).

    - tasks: each task the unit leads (role lead) or shares (responsible), with its light's E and A;
    - indicators: those of the tasks it leads, weighted by the task's importance, against the target in force;
    - process: its reports (parts and, for a lead unit, task reports) in the period's rounds due by ``as_of``:
      on time; reviewed = approved or returned by a supervisor, first pass = approved with no supervisor return;
      milestone claims on its approved reports, with evidence = a written note or a file attached to that milestone;
      the 督办单 replies that fell due in the period and those on time (``tasks.supervision``: one more query, when an
      app keeps notices).
    """
    return _unit_facts(
        plan_id=plan_id,
        period_start=period_start,
        period_end=period_end,
        as_of=as_of,
        lights=lights,
        spec=spec,
        tasks=TaskRows(plan_id=plan_id, as_of=as_of, ids=None),
        indicators=IndicatorRows(plan_id=plan_id, as_of=as_of, ids=None),
    )


def _unit_facts(
    *,
    plan_id: int,
    period_start: date,
    period_end: date,
    as_of: date,
    lights: dict[int, Light],
    spec: RuleSpec,
    tasks: TaskRows,
    indicators: IndicatorRows,
) -> dict[int, UnitFacts]:
    shares: dict[int, list[TaskShare]] = defaultdict(list)
    responsible: dict[int, list[int]] = defaultdict(list)
    # Ids only (no conversion on any backend): read raw, ten thousand rows.
    for task_id, unit_id in RawRows(
        TaskUnit.objects.filter(task__plan_id=plan_id).order_by().values_list("task_id", "unit_id")
    ).rows:
        responsible[task_id].append(unit_id)
    importance = {}
    leads = {}
    no_light = (ZERO, ZERO, Colour.GREY)
    for pk, _status, code, title, weight_class, lead_id, _reported in tasks.rows:
        importance[pk] = weight_class
        leads[pk] = lead_id
        light = lights.get(pk)
        expected, actual, colour = (light.expected, light.actual, light.colour) if light else no_light
        if lead_id:
            shares[lead_id].append(TaskShare(code, "lead", weight_class, expected, actual, colour, title))
        others = [unit_id for unit_id in responsible.get(pk, ()) if unit_id != lead_id]
        if others:
            share = TaskShare(code, "responsible", weight_class, expected, actual, colour, title)  # frozen: shared
            for unit_id in others:
                shares[unit_id].append(share)
    targets, latest = indicators.targets, indicators.latest
    indicator_shares: dict[int, list[IndicatorShare]] = defaultdict(list)
    for pk, task_id, _o, _n, code, direction, baseline, _y, final, final_year in indicators.rows:
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
    # Counted in SQL, per unit: claims, and those with evidence (a note that is not blank, or a file attached to
    # that milestone of that report).
    attached = ReportAttachment.objects.filter(report_id=OuterRef("report_id"), milestone_id=OuterRef("milestone_id"))
    noted = ~Q(evidence="") & ~Q(stripped="")
    for unit_id, claims, with_evidence in (
        MilestoneClaim.objects.filter(**in_period)
        .annotate(stripped=Stripped("evidence"))
        .order_by()
        .values("report__unit_id")
        .annotate(claims=Count("pk"), evidence=Count("pk", filter=noted | Exists(attached)))
        .values_list("report__unit_id", "claims", "evidence")
    ):
        process[unit_id].update(claims=claims, evidence=with_evidence)
    duban = duban_counts(plan_id=plan_id, period_start=period_start, period_end=period_end, as_of=as_of)
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
                duban_due=None if duban is None else duban.get(unit_id, (0, 0))[0],
                duban_on_time=0 if duban is None else duban.get(unit_id, (0, 0))[1],
            ),
        )
        for unit_id in sorted(units)
    }


def task_tree(*, plan_id: int) -> dict[int, tuple[int | None, str]]:
    """Each task of a plan: its parent (None at the top) and its code — what a parent's light rolls up from. One query
    (ids and codes: nothing to convert)."""
    return {pk: (parent, code) for pk, parent, code in
            PlanTask.objects.filter(plan_id=plan_id).order_by().values_list("pk", "parent_id", "code")}  # fmt: skip


def with_subtrees(tree: dict[int, tuple[int | None, str]], ids: Iterable[int]) -> set[int]:
    """``ids`` and every task below any of them: the tasks whose lights a roll-up of ``ids`` needs."""
    children: dict[int, list[int]] = defaultdict(list)
    for pk, (parent, _code) in tree.items():
        if parent is not None:
            children[parent].append(pk)
    found, stack = set(), list(ids)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(children.get(pk, ()))
    return found
