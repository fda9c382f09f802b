"""What the reminders are about, read from the register: which milestones and report steps are open (``open_*_q`` for
queries, ``*_subject`` for one loaded row — ``tests/notifications/test_subjects.py`` proves the two agree), each as the
planner's ``OpenItem`` with what a message needs to name it, and who holds each role (``recipients``).

- A milestone is open while it is pending, its task is not done and its plan is active. Who acts: the reporters of
  its owner unit (the task's lead unit when the milestone names none); its due date is the milestone's.
- A report is open while it waits in a human step (``tasks.lifecycle.STEP_STATUS``: to fill, sign off, consolidate,
  sign off for the lead unit, review) and its plan is not a draft — whether its round is still open or already
  closed: closing freezes nothing in flight, and the ladder of a missing report runs on after the close. Its due
  date is the round's, except for the supervisors' review, which no due date binds (``waiting_since`` then counts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.planner import ItemKind, OpenItem, Role
from tasks.lifecycle import STEP_OF_STATUS, STEP_STATUS, Step, is_returned
from tasks.models import Milestone, Plan, PlanTask, Report
from units.models import Membership

#: The item each human step of a report is.
STEP_ITEMS: dict[Step, ItemKind] = {
    Step.FILL: ItemKind.FILL,
    Step.SIGN_OFF: ItemKind.SIGN_OFF,
    Step.CONSOLIDATE: ItemKind.CONSOLIDATE,
    Step.LEAD_SIGN_OFF: ItemKind.LEAD_SIGN_OFF,
    Step.REVIEW: ItemKind.REVIEW,
}
OPEN_REPORT_STATUSES: tuple[str, ...] = tuple(str(status) for status in STEP_STATUS.values())


def open_milestones_q(prefix: str = "") -> Q:
    """Open milestones, as a filter (``prefix`` for a related lookup such as ``"milestone__"``)."""
    return (Q(**{f"{prefix}status": Milestone.Status.PENDING, f"{prefix}task__plan__status": Plan.Status.ACTIVE})
            & ~Q(**{f"{prefix}task__status": PlanTask.Status.DONE}))


def open_reports_q(prefix: str = "") -> Q:
    """Reports waiting in a human step of a non-draft plan, as a filter."""
    return (Q(**{f"{prefix}status__in": OPEN_REPORT_STATUSES})
            & ~Q(**{f"{prefix}round__plan__status": Plan.Status.DRAFT}))


@dataclass(frozen=True)
class Subject:
    """An open item with what a message says about it. ``key`` names it in the messages' unique keys."""

    key: str
    item: OpenItem
    label: str  # 1.1 任务名称 · 节点名称 / 2025-Q3 1.1 任务名称
    what: str  # 节点 / 单位报告待填报 …
    unit_id: int | None
    unit_name: str
    due_date: date | None
    url: str
    illustrative: bool
    milestone_id: int | None = None
    report_id: int | None = None


def milestone_is_open(milestone: Milestone) -> bool:
    """``open_milestones_q`` for one row loaded with its task and plan."""
    task = milestone.task
    return (milestone.status == Milestone.Status.PENDING and task.status != PlanTask.Status.DONE
            and task.plan.status == Plan.Status.ACTIVE)


def report_item_kind(report: Report) -> ItemKind | None:
    """The step a report waits in, as a planner item kind; None when it waits for nobody."""
    step = STEP_OF_STATUS.get(report.status)  # type: ignore[call-overload]
    return STEP_ITEMS.get(step) if step is not None else None


def report_is_open(report: Report) -> bool:
    """``open_reports_q`` for one row loaded with its round and plan."""
    return report_item_kind(report) is not None and report.round.plan.status != Plan.Status.DRAFT


def milestones(ids: Iterable[int]) -> dict[int, Milestone]:
    """The milestones with what a subject needs, by id (one query)."""
    rows = (Milestone.objects.filter(pk__in=list(ids))
            .select_related("task", "task__plan", "task__lead_unit", "owner_unit"))
    return {row.pk: row for row in rows}


def reports(ids: Iterable[int]) -> dict[int, Report]:
    """The reports with what a subject needs, by id (one query)."""
    rows = Report.objects.filter(pk__in=list(ids)).select_related("round", "round__plan", "task", "unit")
    return {row.pk: row for row in rows}


def milestone_subject(milestone: Milestone) -> Subject | None:
    """The open milestone as a subject; None when it is not open."""
    if not milestone_is_open(milestone):
        return None
    task, unit = milestone.task, milestone.owner_unit or milestone.task.lead_unit
    return _milestone_subject(
        pk=milestone.pk, due_date=milestone.due_date, title=milestone.title, task_code=task.code,
        task_title=task.title, unit_id=unit.pk if unit else None, unit_name=unit.short_name if unit else "",
        url=reverse("task-detail", kwargs={"code": task.plan.code, "task_code": task.code}),
        illustrative=task.plan.units_illustrative or task.units_illustrative, what=_("节点"))


def _milestone_subject(*, pk: int, due_date: date, title: str, task_code: str, task_title: str, unit_id: int | None,
                       unit_name: str, url: str, illustrative: bool, what: str) -> Subject:
    return Subject(
        key=f"milestone:{pk}",
        item=OpenItem(ItemKind.MILESTONE, due_date=due_date, unit_ids=(unit_id,) if unit_id else ()),
        label=f"{task_code} {task_title} · {title}",
        what=what,
        unit_id=unit_id,
        unit_name=unit_name,
        due_date=due_date,
        url=url,
        illustrative=illustrative,
        milestone_id=pk,
    )


_PLAN_MARK, _TASK_MARK = "plan-code-mark-0", "task-code-mark-0"
_PLAN_CODE, _TASK_CODE = re.compile(r"[-a-zA-Z0-9_]+"), re.compile(r"[0-9A-Za-z.\-]+")  # the route's converters


def task_url_maker() -> Callable[[str, str], str]:
    """``reverse("task-detail", …)`` for many tasks at the cost of one: the route reversed once with marks, each
    code put in its place. The codes' converters (``slug``, ``taskcode``) admit only characters a URL carries as
    they are, so nothing needs quoting; a code they would refuse goes through ``reverse`` (and fails as it would).
    A sweep names a few thousand tasks a tick: a ``reverse`` each was a fifth of its time."""
    before, rest = reverse("task-detail", kwargs={"code": _PLAN_MARK, "task_code": _TASK_MARK}).split(_PLAN_MARK)
    between, after = rest.split(_TASK_MARK)

    def task_url(plan_code: str, task_code: str) -> str:
        if _PLAN_CODE.fullmatch(plan_code) and _TASK_CODE.fullmatch(task_code):
            return f"{before}{plan_code}{between}{task_code}{after}"
        return reverse("task-detail", kwargs={"code": plan_code, "task_code": task_code})

    return task_url


def milestone_subjects(ids: Iterable[int]) -> dict[int, Subject | None]:
    """``milestone_subject`` of each of these milestones, by id (None: not open; absent: gone), read as plain values
    in one query — what the sweep plans by the thousand, without a model object per row and table."""
    found: dict[int, Subject | None] = {}
    task_url = task_url_maker()
    what = _("节点")  # once: each translation lookup asks Django for the active language
    rows = Milestone.objects.filter(pk__in=list(ids)).values_list(
        "pk", "status", "due_date", "title", "task__code", "task__title", "task__status", "task__units_illustrative",
        "task__plan__code", "task__plan__status", "task__plan__units_illustrative", "owner_unit_id",
        "owner_unit__short_name", "task__lead_unit_id", "task__lead_unit__short_name")
    for (pk, status, due_date, title, task_code, task_title, task_status, task_illustrative, plan_code, plan_status,
         plan_illustrative, owner_id, owner_name, lead_id, lead_name) in rows:
        if (status != Milestone.Status.PENDING or task_status == PlanTask.Status.DONE
                or plan_status != Plan.Status.ACTIVE):  # milestone_is_open, on values
            found[pk] = None
            continue
        url = task_url(plan_code, task_code)
        found[pk] = _milestone_subject(
            pk=pk, due_date=due_date, title=title, task_code=task_code, task_title=task_title,
            unit_id=owner_id or lead_id, unit_name=(owner_name if owner_id else lead_name) or "", url=url,
            illustrative=plan_illustrative or task_illustrative, what=what)
    return found


REPORT_WHAT = {
    ItemKind.FILL: lambda: _("单位报告待填报"),
    ItemKind.SIGN_OFF: lambda: _("单位报告待审签"),
    ItemKind.CONSOLIDATE: lambda: _("任务报告待汇总"),
    ItemKind.LEAD_SIGN_OFF: lambda: _("汇总报告待牵头单位审签"),
    ItemKind.REVIEW: lambda: _("汇总报告待审核"),
}


def report_subject(report: Report) -> Subject | None:
    """The report's open step as a subject; None when the report waits for nobody."""
    kind = report_item_kind(report)
    if kind is None or not report_is_open(report):
        return None
    due = None if kind == ItemKind.REVIEW else report.due_date
    round_, task = report.round, report.task
    return Subject(
        key=f"report:{report.pk}",
        item=OpenItem(kind, due_date=due, waiting_since=report.step_started_at, unit_ids=(report.unit_id,),
                      returned=is_returned(status=report.status, times_returned=report.times_returned)),
        label=f"{round_.period} {task.code} {task.title}",
        what=REPORT_WHAT[kind](),
        unit_id=report.unit_id,
        unit_name=report.unit.short_name,
        due_date=due,
        url=reverse("report-detail", kwargs={"pk": report.pk}),
        illustrative=round_.illustrative or round_.plan.units_illustrative or task.units_illustrative,
        report_id=report.pk,
    )


@dataclass(frozen=True)
class Recipients:
    """Who holds each role: reporters and heads by unit, supervisors and leaders anywhere. Active users of active
    units only."""

    by_unit: dict[tuple[int, str], tuple[int, ...]]
    anywhere: dict[str, tuple[int, ...]]

    def users(self, role: Role, unit_ids: Iterable[int]) -> list[int]:
        if role in (Role.SUPERVISOR, Role.LEADER):
            return list(self.anywhere.get(role, ()))
        found: list[int] = []
        for unit_id in unit_ids:
            found += [user for user in self.by_unit.get((unit_id, role), ()) if user not in found]
        return found


def recipients(unit_ids: Iterable[int]) -> Recipients:
    """The reporters and heads of these units, and every supervisor and leader (one query)."""
    local, everywhere = (Membership.Role.REPORTER, Membership.Role.HEAD), (Membership.Role.SUPERVISOR,
                                                                           Membership.Role.LEADER)
    rows = (Membership.objects.filter(Q(unit_id__in=set(unit_ids), role__in=local) | Q(role__in=everywhere),
                                      user__is_active=True, unit__active=True)
            .order_by("user_id").values_list("user_id", "unit_id", "role"))
    by_unit: dict[tuple[int, str], list[int]] = {}
    anywhere: dict[str, list[int]] = {}
    for user_id, unit_id, role in rows:
        if role in everywhere:
            if user_id not in anywhere.setdefault(role, []):
                anywhere[role].append(user_id)
        else:
            by_unit.setdefault((unit_id, role), []).append(user_id)
    return Recipients(by_unit={key: tuple(users) for key, users in by_unit.items()},
                      anywhere={key: tuple(users) for key, users in anywhere.items()})
