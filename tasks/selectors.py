"""Scoped reads of the plan register. Every function takes the acting user and owns its joins.

Visibility: the register of an active or closed plan is readable by every signed-in
user (it is the published plan); a draft plan only by supervisors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import CharField, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from tasks.codes import parent_code
from tasks.due import Due, classify_due
from tasks.due_sql import due_soon_q, due_today_q, overdue_q
from tasks.models import (
    AuditEvent,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Milestone,
    Plan,
    PlanTask,
    Report,
    TaskUnit,
)
from tasks.policy import visible_reports
from units.models import Unit
from units.selectors import user_scope

User = AbstractBaseUser | AnonymousUser


def plan_list(*, user: User) -> QuerySet[Plan]:
    """Plans the user may read."""
    scope = user_scope(user)
    if scope.user_id is None:
        return Plan.objects.none()
    if scope.is_supervisor:
        return Plan.objects.all()
    return Plan.objects.exclude(status=Plan.Status.DRAFT)


def _responsible_prefetch() -> Prefetch:
    return Prefetch("task_units", queryset=TaskUnit.objects.select_related("unit").order_by("order", "id"))


def task_list(*, user: User, plan: Plan | None = None) -> QuerySet[PlanTask]:
    """Tasks of readable plans, with plan, parent, lead unit and responsible units loaded (constant queries)."""
    qs = PlanTask.objects.filter(plan__in=plan_list(user=user))
    if plan is not None:
        qs = qs.filter(plan=plan)
    return qs.select_related("plan", "parent", "lead_unit").prefetch_related(_responsible_prefetch())


def tasks_of_unit(*, user: User, unit: Unit, role: str | None = None) -> QuerySet[PlanTask]:
    """Tasks a unit leads (role "lead"), contributes to (role "responsible"), or either (None)."""
    qs = task_list(user=user)
    if role == "lead":
        return qs.filter(lead_unit=unit)
    if role == "responsible":
        return qs.filter(task_units__unit=unit)
    return qs.filter(Q(lead_unit=unit) | Q(task_units__unit=unit)).distinct()


def indicator_list(*, user: User) -> QuerySet[Indicator]:
    """Indicators of readable plans with their task and interim targets."""
    return (
        Indicator.objects.filter(plan__in=plan_list(user=user))
        .select_related("plan", "task")
        .prefetch_related(Prefetch("interim_targets", queryset=IndicatorTarget.objects.order_by("year")))
    )


def indicator_values(*, user: User, indicator_id: int) -> QuerySet[IndicatorValue]:
    """The approved values of an indicator the user may read (DoesNotExist, a 404, for one they may not): one per
    round, only from approved reports — scoring's input, never a value still in review."""
    indicator_id = indicator_list(user=user).values_list("pk", flat=True).get(pk=indicator_id)
    return IndicatorValue.objects.filter(indicator_id=indicator_id, report__status=Report.Status.APPROVED)


def indicator_latest_value(indicator: Indicator) -> IndicatorValue | None:
    """The indicator's approved value of the latest period (the round with the latest period start), or None."""
    return (IndicatorValue.objects.filter(indicator_id=indicator.pk, report__status=Report.Status.APPROVED)
            .select_related("round").order_by("-round__period_start", "-round_id").first())


def milestone_list(*, user: User) -> QuerySet[Milestone]:
    """Milestones of readable plans with task, plan and owner unit."""
    return Milestone.objects.filter(task__plan__in=plan_list(user=user)).select_related(
        "task", "task__plan", "task__lead_unit", "owner_unit"
    )


# What makes a milestone "done" for the due rule's SQL twin (``tasks.due_sql``).
MILESTONE_DONE = Q(status=Milestone.Status.DONE)


def _overdue_milestones(today: date) -> QuerySet[Milestone]:
    return Milestone.objects.filter(overdue_q("due_date", today=today, done=MILESTONE_DONE))


def milestone_due(milestone: Milestone, *, today: date) -> Due:
    """Where an already-loaded milestone stands on ``today`` (``tasks.due.classify_due``)."""
    return classify_due(milestone.due_date, done=milestone.status == Milestone.Status.DONE, today=today)


def task_due(task: PlanTask, *, today: date) -> Due:
    """Where an already-loaded task stands on ``today``; a task with only a due text is ``none``."""
    return classify_due(task.due_date, done=task.status == PlanTask.Status.DONE, today=today)


def milestone_is_overdue(milestone: Milestone, *, today: date) -> bool:
    """A milestone not done whose due date has passed."""
    return milestone_due(milestone, today=today).is_overdue


# --------------------------------------------------------------------------------------------
# Page selectors: what the server-rendered pages read. Each takes the acting user, owns its
# joins and runs a fixed number of queries whatever the size of the plan.
# --------------------------------------------------------------------------------------------


def _count_by(qs: QuerySet, field: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``qs`` rows whose ``field`` is the outer row (0 when none)."""
    counted = qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class PlanSummary:
    """A plan with the figures the home page shows beside it."""

    plan: Plan
    task_count: int
    indicator_count: int
    due_soon_count: int
    overdue_count: int


def plan_summaries(*, user: User, today: date) -> list[PlanSummary]:
    """Readable plans with task and indicator counts, milestones due today or within ``DUE_SOON_DAYS``
    and overdue milestones (``tasks.due``). One query."""
    due_soon = due_today_q("due_date", today=today, done=MILESTONE_DONE) | due_soon_q(
        "due_date", today=today, done=MILESTONE_DONE
    )
    plans = plan_list(user=user).annotate(
        n_tasks=_count_by(PlanTask.objects.all(), "plan"),
        n_indicators=_count_by(Indicator.objects.all(), "plan"),
        n_due_soon=_count_by(Milestone.objects.filter(due_soon), "task__plan"),
        n_overdue=_count_by(_overdue_milestones(today), "task__plan"),
    )
    return [
        PlanSummary(
            plan=plan,
            task_count=plan.n_tasks,
            indicator_count=plan.n_indicators,
            due_soon_count=plan.n_due_soon,
            overdue_count=plan.n_overdue,
        )
        for plan in plans
    ]


def plan_get(*, user: User, code: str) -> Plan | None:
    """The readable plan with this code, or None (unknown, or a draft the user may not see)."""
    return plan_list(user=user).filter(code=code).first()


@dataclass(frozen=True)
class TaskFilters:
    """The filters of the plan page. Empty strings and None mean "any"."""

    unit: Unit | None = None
    kind: str = ""
    status: str = ""
    importance: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.unit or self.kind or self.status or self.importance or self.q)

    def q_object(self) -> Q:
        """The filters as one ``Q`` over ``PlanTask``."""
        condition = Q()
        if self.unit is not None:
            condition &= Q(lead_unit=self.unit) | Q(task_units__unit=self.unit)
        if self.kind:
            condition &= Q(kind=self.kind)
        if self.status:
            condition &= Q(status=self.status)
        if self.importance:
            condition &= Q(importance=self.importance)
        if self.q:
            condition &= (
                Q(code__icontains=self.q) | Q(title__icontains=self.q) | Q(title_en__icontains=self.q)
                | Q(text__icontains=self.q)
            )
        return condition


@dataclass(frozen=True)
class TaskRow:
    """One task line under a part. ``matched`` is False for an ancestor shown only to keep the tree shape."""

    task: PlanTask
    level: int
    matched: bool
    has_children: bool
    overdue: bool


@dataclass(frozen=True)
class PlanPart:
    """A top-level node of the plan (a part) with the task lines shown under it; ``matching_count``
    counts the lines that match the filters (the part itself not included)."""

    task: PlanTask
    matched: bool
    overdue: bool
    rows: tuple[TaskRow, ...]
    matching_count: int


@dataclass(frozen=True)
class PlanTree:
    """The plan page's tree and header figures."""

    parts: tuple[PlanPart, ...]
    task_count: int
    matching_count: int
    major_count: int
    done_count: int
    indicator_count: int
    milestone_count: int
    overdue_milestone_count: int
    filtered: bool


def task_is_overdue(task: PlanTask, *, today: date) -> bool:
    """A task not done whose own due date has passed (tasks with only a due text are never overdue)."""
    return task_due(task, today=today).is_overdue


def plan_tree(*, user: User, plan: Plan, today: date, filters: TaskFilters | None = None) -> PlanTree:
    """The plan's task tree, parts first, for the plan page.

    With filters, only matching tasks are shown, each under its part and with its ancestors as
    (unmatched) context lines; parts without a match are left out. Runs four queries whatever
    the number of tasks. ``plan`` must come from ``plan_get`` (readable by ``user``).
    """
    filters = filters or TaskFilters()
    tasks = list(
        task_list(user=user, plan=plan).annotate(
            n_overdue_milestones=_count_by(_overdue_milestones(today), "task")
        )
    )
    if filters.active:
        matched_ids = set(
            PlanTask.objects.filter(plan=plan).filter(filters.q_object()).values_list("pk", flat=True).distinct()
        )
    else:
        matched_ids = {task.pk for task in tasks}
    figures = Milestone.objects.filter(task__plan=plan).aggregate(
        total=Count("pk"), overdue=Count("pk", filter=overdue_q("due_date", today=today, done=MILESTONE_DONE))
    )

    by_id = {task.pk: task for task in tasks}
    children: dict[int | None, list[PlanTask]] = {}
    for task in tasks:
        parent_id = task.parent_id if task.parent_id in by_id else None
        children.setdefault(parent_id, []).append(task)
    for siblings in children.values():
        siblings.sort(key=lambda task: task.sort_key)

    shown: set[int] = set()
    for task_id in matched_ids:
        current = by_id.get(task_id)
        while current is not None and current.pk not in shown:
            shown.add(current.pk)
            current = by_id.get(current.parent_id) if current.parent_id else None

    parts = []
    for part in children.get(None, []):
        if part.pk not in shown:
            continue
        rows: list[TaskRow] = []
        stack = [(child, 1) for child in reversed(children.get(part.pk, []))]
        while stack:
            task, level = stack.pop()
            if task.pk not in shown:
                continue
            kids = children.get(task.pk, [])
            rows.append(
                TaskRow(
                    task=task, level=level, matched=task.pk in matched_ids, has_children=bool(kids),
                    overdue=task_is_overdue(task, today=today),
                )
            )
            stack.extend((child, level + 1) for child in reversed(kids))
        parts.append(
            PlanPart(
                task=part, matched=part.pk in matched_ids, overdue=task_is_overdue(part, today=today),
                rows=tuple(rows), matching_count=sum(row.matched for row in rows),
            )
        )
    return PlanTree(
        parts=tuple(parts),
        task_count=len(tasks),
        matching_count=len(matched_ids & by_id.keys()),
        major_count=sum(task.importance == PlanTask.Importance.MAJOR for task in tasks),
        done_count=sum(task.status == PlanTask.Status.DONE for task in tasks),
        indicator_count=Indicator.objects.filter(plan=plan).count(),
        milestone_count=figures["total"],
        overdue_milestone_count=figures["overdue"],
        filtered=filters.active,
    )


def plan_units(*, user: User, plan: Plan) -> QuerySet[Unit]:
    """Units that lead or contribute to a task of ``plan`` (for the plan page's unit filter)."""
    if plan_get(user=user, code=plan.code) is None:
        return Unit.objects.none()
    return (
        Unit.objects.filter(Q(led_tasks__plan=plan) | Q(task_units__task__plan=plan))
        .distinct()
        .order_by("order", "code")
    )


REGISTER_ACTIONS = ("task.", "milestone.", "indicator.", "plan.")


def task_events(*, user: User, task: PlanTask) -> QuerySet[AuditEvent]:
    """The audit events of ``task`` this user may read, newest first, with actor and unit.

    - changes to the register (``task.``, ``milestone.``, ``indicator.``, ``plan.`` actions): every reader of
      the task;
    - events about a report (object type ``report``, ``report.`` actions, return reasons included): only if
      the user may see that report (``tasks.policy.visible_reports``: a unit its own parts, the lead unit
      every part and the task report, supervisors and leaders all);
    - ``round.`` events and anything else: supervisors, leaders and the task's lead and responsible units.

    Decided in SQL (subqueries), so the query count does not depend on the events. ``task`` must be readable
    by ``user`` (from ``task_list``); events of a plan the user may not read are never returned.
    """
    scope = user_scope(user)
    if scope.user_id is None:
        return AuditEvent.objects.none()
    about_report = Q(object_type="report") | Q(action__startswith="report.")
    register_action = Q(*(Q(action__startswith=prefix) for prefix in REGISTER_ACTIONS), _connector=Q.OR)
    reports = visible_reports(user=user).filter(task=task).annotate(ref=Cast("pk", CharField())).values("ref")
    readable = (~about_report & register_action) | Q(object_type="report", object_id__in=reports)
    internal = ~about_report & ~register_action
    if not scope.sees_all_units:
        own_tasks = TaskUnit.objects.filter(unit_id__in=scope.unit_ids).values("task_id")
        internal &= Q(task__lead_unit_id__in=scope.unit_ids) | Q(task_id__in=own_tasks)
    return (
        AuditEvent.objects.filter(readable | internal, task=task, task__plan__in=plan_list(user=user))
        .select_related("actor", "unit", "actor_unit")
        .order_by("-at", "-id")
    )


@dataclass(frozen=True)
class TaskDetail:
    """Everything the task page shows about one task."""

    task: PlanTask
    ancestors: tuple[PlanTask, ...]
    children: tuple[PlanTask, ...]
    indicators: tuple[Indicator, ...]
    milestones: tuple[Milestone, ...]
    audit_events: tuple[AuditEvent, ...]


def task_detail(*, user: User, plan: Plan, code: str, audit_limit: int = 200) -> TaskDetail | None:
    """The task ``code`` of ``plan`` with ancestors (root first), children, indicators with interim
    targets, milestones (by due date) and the audit events the user may read (``task_events``, newest first,
    at most ``audit_limit``);
    None when the task does not exist or the plan is not readable. A fixed number of queries."""
    task = task_list(user=user, plan=plan).filter(code=code).first()
    if task is None:
        return None
    prefixes = []
    ancestor_code = parent_code(task.code)
    while ancestor_code is not None:
        prefixes.append(ancestor_code)
        ancestor_code = parent_code(ancestor_code)
    candidates = {t.pk: t for t in PlanTask.objects.filter(plan=plan, code__in=prefixes)}
    ancestors: list[PlanTask] = []
    parent_id = task.parent_id
    while parent_id is not None and len(ancestors) < 20:
        # The parent link is the truth; the dotted code only lets us fetch the usual chain at once.
        parent = candidates.get(parent_id) or PlanTask.objects.filter(pk=parent_id).first()
        if parent is None:
            break
        ancestors.append(parent)
        parent_id = parent.parent_id
    ancestors.reverse()
    return TaskDetail(
        task=task,
        ancestors=tuple(ancestors),
        children=tuple(task_list(user=user, plan=plan).filter(parent=task).order_by("sort_key")),
        indicators=tuple(indicator_list(user=user).filter(task=task).order_by("order", "code")),
        milestones=tuple(milestone_list(user=user).filter(task=task).order_by("due_date", "order", "code")),
        audit_events=tuple(task_events(user=user, task=task)[:audit_limit]),
    )


@dataclass(frozen=True)
class PlanTasks:
    """Tasks of one plan (for pages that group tasks by plan)."""

    plan: Plan
    tasks: tuple[PlanTask, ...]


@dataclass(frozen=True)
class UnitWork:
    """What a unit leads and contributes to, grouped by plan, and its upcoming and overdue milestones."""

    unit: Unit
    leads: tuple[PlanTasks, ...]
    contributes: tuple[PlanTasks, ...]
    upcoming_milestones: tuple[Milestone, ...]
    overdue_milestones: tuple[Milestone, ...]

    @property
    def lead_count(self) -> int:
        return sum(len(group.tasks) for group in self.leads)

    @property
    def contribute_count(self) -> int:
        return sum(len(group.tasks) for group in self.contributes)


def _by_plan(tasks: Iterable[PlanTask]) -> tuple[PlanTasks, ...]:
    groups: dict[int, list[PlanTask]] = {}
    plans: dict[int, Plan] = {}
    for task in tasks:
        groups.setdefault(task.plan_id, []).append(task)
        plans[task.plan_id] = task.plan
    return tuple(PlanTasks(plan=plans[plan_id], tasks=tuple(items)) for plan_id, items in groups.items())


def unit_milestones(*, user: User, unit: Unit) -> QuerySet[Milestone]:
    """Milestones a unit answers for: those it owns, and those without an owner of tasks it leads."""
    return milestone_list(user=user).filter(Q(owner_unit=unit) | Q(owner_unit__isnull=True, task__lead_unit=unit))


def unit_work(*, user: User, unit: Unit, today: date, horizon_days: int = 180) -> UnitWork:
    """The unit page: tasks the unit leads; tasks it contributes to without leading them; its pending
    milestones due within ``horizon_days`` of ``today``; its overdue milestones. Five queries."""
    order = ("-plan__start_date", "plan__code", "sort_key")
    leads = tasks_of_unit(user=user, unit=unit, role="lead").order_by(*order)
    contributes = (
        task_list(user=user)
        .filter(pk__in=TaskUnit.objects.filter(unit=unit).values("task_id"))
        .exclude(lead_unit=unit)
        .order_by(*order)
    )
    milestones = unit_milestones(user=user, unit=unit)
    horizon = today + timedelta(days=horizon_days)
    return UnitWork(
        unit=unit,
        leads=_by_plan(leads),
        contributes=_by_plan(contributes),
        upcoming_milestones=tuple(
            milestones.filter(status=Milestone.Status.PENDING, due_date__gte=today, due_date__lte=horizon).order_by(
                "due_date", "task__sort_key", "order"
            )
        ),
        overdue_milestones=tuple(
            milestones.filter(overdue_q("due_date", today=today, done=MILESTONE_DONE)).order_by(
                "due_date", "task__sort_key"
            )
        ),
    )


@dataclass(frozen=True)
class Hits:
    """At most ``limit`` items of one kind, and how many there are in all."""

    items: tuple
    count: int


@dataclass(frozen=True)
class SearchResults:
    query: str
    tasks: Hits
    indicators: Hits
    units: Hits
    milestones: Hits

    @property
    def total(self) -> int:
        return self.tasks.count + self.indicators.count + self.units.count + self.milestones.count


def _hits(qs: QuerySet, limit: int) -> Hits:
    items = tuple(qs[:limit])
    return Hits(items=items, count=len(items) if len(items) < limit else qs.count())


def register_search(*, user: User, query: str, limit: int = 50) -> SearchResults:
    """Search readable tasks (code, title, text), indicators (name), milestones (title) and units
    (names and aliases), case-insensitively; each kind capped at ``limit`` with its full count."""
    query = query.strip()
    empty = Hits(items=(), count=0)
    if not query or plan_list(user=user).query.is_empty():
        return SearchResults(query=query, tasks=empty, indicators=empty, units=empty, milestones=empty)
    tasks = task_list(user=user).filter(
        Q(code__icontains=query) | Q(title__icontains=query) | Q(title_en__icontains=query) | Q(text__icontains=query)
    ).order_by("plan__code", "sort_key")
    indicators = indicator_list(user=user).filter(
        Q(name__icontains=query) | Q(name_en__icontains=query) | Q(code__iexact=query)
    ).order_by("plan__code", "order", "code")
    milestones = milestone_list(user=user).filter(title__icontains=query).order_by("due_date", "task__sort_key")
    # Aliases are a JSON list whose text form differs between databases; the directory is small.
    needle = query.casefold()
    units = [
        unit for unit in Unit.objects.select_related("track").order_by("order", "code")
        if any(needle in name.casefold() for name in (*unit.all_names, unit.name_en))
    ]
    return SearchResults(
        query=query,
        tasks=_hits(tasks, limit),
        indicators=_hits(indicators, limit),
        units=Hits(items=tuple(units[:limit]), count=len(units)),
        milestones=_hits(milestones, limit),
    )
