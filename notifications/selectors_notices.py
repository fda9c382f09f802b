"""Scoped reads of the people's side of the ladder: 督办单 (``notice_list``), the escalation board
(``escalation_board``) and the missing parts of a task report a 催办 can be sent for (``missing_parts``).

A unit's members see their unit's notices; supervisors and leaders see all. The board is for supervisors and
leaders: every overdue item at its ladder level as of now (``ladder_level``, the planner's thresholds), with the
recommended next step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import planner, subjects
from notifications.models import ManualChase, SupervisionNotice, Watch
from tasks.lifecycle import Status
from tasks.models import Report
from tasks.policy import visible_reports
from tasks.workdays import add_working_days, is_working_day, working_days_between
from units.models import Membership, Unit
from units.selectors import user_scope

#: Parts still missing from a task report: not yet delivered to the lead unit (to fill, or to sign off in the unit).
MISSING_STATUSES = (Status.DRAFT, Status.SUBMITTED)
#: Who holds a missing part, by its status.
HOLDER_ROLE = {Status.DRAFT: Membership.Role.REPORTER, Status.SUBMITTED: Membership.Role.HEAD}

#: The board's item kinds: a milestone, a report step (``planner.ItemKind``) or a 督办单 overdue itself.
BOARD_KINDS = ("milestone", "fill", "sign_off", "consolidate", "lead_sign_off", "notice")


def ladder_level(policy: planner.Policy, overdue_days: int) -> int:
    """The rung an item overdue by ``overdue_days`` working days stands on: 0 (overdue, not yet chased), 1 催办,
    2 督办, 3 约谈 — the planner's thresholds (``Policy.chase_after`` …), so the board and the sweep agree."""
    if overdue_days >= policy.interview_after:
        return 3
    if overdue_days >= policy.supervise_after:
        return 2
    if overdue_days >= policy.chase_after:
        return 1
    return 0


def notice_level(policy: planner.Policy, overdue_days: int) -> int:
    """The rung of a 督办单 whose receipt or reply is ``overdue_days`` working days late: it stays at 督办 (2) and
    climbs to 约谈 (3) after as many working days as separate the two rungs of the ladder (8 by default)."""
    return 3 if overdue_days >= policy.interview_after - policy.supervise_after else 2


def working_day_of(day: date) -> date:
    """The working day ``day`` counts for: itself, or the next working day (a 催办 on Saturday counts for Monday)."""
    return day if is_working_day(day) else add_working_days(day, 1)


def notice_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[SupervisionNotice]:
    """The notices the user may see: supervisors and leaders all, others their units' (newest first)."""
    scope = user_scope(user)
    if scope.user_id is None:
        return SupervisionNotice.objects.none()
    notices = SupervisionNotice.objects.select_related("unit", "plan", "issued_by", "received_by", "replied_by",
                                                       "decided_by")
    if scope.sees_all_units:
        return notices
    return notices.filter(unit_id__in=scope.unit_ids)


def notice_due(notice: SupervisionNotice) -> date | None:
    """What the notice waits for by when: the receipt, the reply; None once replied or accepted."""
    if notice.status == SupervisionNotice.Status.ISSUED:
        return notice.receipt_due
    if notice.status in (SupervisionNotice.Status.RECEIVED, SupervisionNotice.Status.RETURNED):
        return notice.reply_due
    return None


def notice_step_stands(notice: SupervisionNotice, slot: str) -> bool:
    """Whether a message about a 督办单's step (its ``slot``, as ``services_notices`` spells it) still stands: the
    notice is still at that step (issued and not yet signed; this reply or this return still the latest; still due,
    or late, on that due date; a 约谈 recommendation while the notice is open). An accepted notice's message always
    stands."""
    step = slot.removeprefix("notice:")
    if step == "issued":
        return notice.status == SupervisionNotice.Status.ISSUED
    if step == "accepted":
        return notice.status == SupervisionNotice.Status.ACCEPTED
    if step.startswith(("replied-v", "returned-v")):
        return str(notice.version) == step.rsplit("-v", 1)[1]
    if step.startswith(("late-", "due-")):
        status, _sep, due = step.partition("-")[2].partition("-")
        found = notice_due(notice)
        return notice.status == status and found is not None and found.isoformat() == due
    if step.startswith("interview-"):
        return notice.status != SupervisionNotice.Status.ACCEPTED
    return False


@dataclass(frozen=True)
class BoardFilters:
    level: int | None = None
    unit_id: int | None = None
    plan_id: int | None = None
    kind: str | None = None


@dataclass
class BoardItem:
    """One overdue item at its rung. ``id`` is the item's watch (stable: one per milestone or report)."""

    id: int
    kind: str
    label: str
    what: str
    unit_id: int | None
    unit_name: str
    plan_id: int
    due_date: date
    overdue_days: int
    level: int
    recommended: str
    url: str
    milestone_id: int | None = None
    report_id: int | None = None
    notice: SupervisionNotice | None = None
    notice_overdue: bool = field(default=False)


def _recommended(level: int, notice: SupervisionNotice | None, notice_late: bool) -> str:
    if notice is not None:
        if notice_late:
            return _("建议约谈（由领导决定）") if level >= 3 else _("督办单逾期，跟进督办")
        return _("督办单办理中，跟进")
    return {0: _("提醒"), 1: _("催办"), 2: _("下发督办单"), 3: _("建议约谈（由领导决定）")}[level]


def _item_unit(watch: Watch) -> tuple[int | None, str, int]:
    if watch.milestone_id is not None:
        milestone = watch.milestone
        unit = milestone.owner_unit or milestone.task.lead_unit
        return (unit.pk if unit else None), (unit.display_name if unit else ""), milestone.task.plan_id
    report = watch.report
    return report.unit_id, report.unit.display_name, report.round.plan_id


def escalation_board(*, user: AbstractBaseUser, filters: BoardFilters, today: date,
                     policy: planner.Policy) -> list[BoardItem]:
    """Every overdue item (open milestones and report steps past their due date; 督办单 whose receipt or reply is
    late) at its rung as of ``today``, highest rung first, then most overdue. Supervisors and leaders only (others:
    empty). Three queries whatever the number of items (the watches with their subjects, the open notices, the
    watches of notices' subjects no longer open); the level is computed here, so its filter is applied here."""
    scope = user_scope(user)
    if not scope.sees_all_units:
        return []
    overdue = ((subjects.open_milestones_q("milestone__") & Q(milestone__due_date__lt=today))
               | (subjects.open_reports_q("report__") & Q(report__due_date__lt=today)
                  & ~Q(report__status=Status.IN_REVIEW)))
    watches = Watch.objects.filter(overdue, is_open=True)
    if filters.unit_id is not None:
        watches = watches.filter(Q(milestone__owner_unit_id=filters.unit_id)
                                 | Q(milestone__owner_unit__isnull=True, milestone__task__lead_unit_id=filters.unit_id)
                                 | Q(report__unit_id=filters.unit_id))
    if filters.plan_id is not None:
        watches = watches.filter(Q(milestone__task__plan_id=filters.plan_id)
                                 | Q(report__round__plan_id=filters.plan_id))
    rows = list(watches.select_related(
        "milestone__task__plan", "milestone__task__lead_unit", "milestone__owner_unit",
        "report__round__plan", "report__task", "report__unit").order_by("pk"))
    notices = SupervisionNotice.objects.exclude(status=SupervisionNotice.Status.ACCEPTED).select_related("unit")
    if filters.unit_id is not None:
        notices = notices.filter(unit_id=filters.unit_id)
    if filters.plan_id is not None:
        notices = notices.filter(plan_id=filters.plan_id)
    open_notices = list(notices)
    by_subject = {("m", n.milestone_id) if n.milestone_id else ("r", n.report_id): n for n in open_notices}
    items: list[BoardItem] = []
    seen: set[tuple[str, int | None]] = set()
    for watch in rows:
        subject = (subjects.milestone_subject(watch.milestone) if watch.milestone_id
                   else subjects.report_subject(watch.report))
        if subject is None or subject.due_date is None:
            continue
        key = ("m", watch.milestone_id) if watch.milestone_id else ("r", watch.report_id)
        seen.add(key)
        unit_id, unit_name, plan_id = _item_unit(watch)
        days = working_days_between(subject.due_date, today)
        level = ladder_level(policy, days)
        notice = by_subject.get(key)
        late = _notice_late(notice, today)
        if late and notice is not None:
            level = max(level, notice_level(policy, working_days_between(notice_due(notice) or today, today)))
        items.append(BoardItem(
            id=watch.pk, kind=str(subject.item.kind), label=subject.label, what=subject.what, unit_id=unit_id,
            unit_name=unit_name, plan_id=plan_id, due_date=subject.due_date, overdue_days=days, level=level,
            recommended=_recommended(level, notice, late), url=subject.url, milestone_id=subject.milestone_id,
            report_id=subject.report_id, notice=notice, notice_overdue=late))
    # 督办单 late themselves whose item is no longer overdue-and-open (done meanwhile): still on the board.
    rest = [n for n in open_notices if _notice_late(n, today)
            and (("m", n.milestone_id) if n.milestone_id else ("r", n.report_id)) not in seen]
    if rest:
        watch_of = {(("m", w.milestone_id) if w.milestone_id else ("r", w.report_id)): w.pk
                    for w in Watch.objects.filter(Q(milestone_id__in=[n.milestone_id for n in rest if n.milestone_id])
                                                  | Q(report_id__in=[n.report_id for n in rest if n.report_id]))}
        for notice in rest:
            key = ("m", notice.milestone_id) if notice.milestone_id else ("r", notice.report_id)
            due = notice_due(notice)
            assert due is not None
            days = working_days_between(due, today)
            level = notice_level(policy, days)
            items.append(BoardItem(
                id=watch_of.get(key, 0), kind="notice", label=notice.title, what=_("督办单"), unit_id=notice.unit_id,
                unit_name=notice.unit.display_name, plan_id=notice.plan_id, due_date=due, overdue_days=days,
                level=level, recommended=_recommended(level, notice, True),
                url=reverse("notice-detail", kwargs={"pk": notice.pk}), milestone_id=notice.milestone_id,
                report_id=notice.report_id, notice=notice, notice_overdue=True))
    if filters.kind is not None:
        items = [item for item in items if item.kind == filters.kind]
    if filters.level is not None:
        items = [item for item in items if item.level == filters.level]
    items.sort(key=lambda item: (-item.level, -item.overdue_days, item.id))
    return items


def _notice_late(notice: SupervisionNotice | None, today: date) -> bool:
    due = notice_due(notice) if notice is not None else None
    return due is not None and due < today


def _holder_names(unit_ids: Iterable[int]) -> dict[tuple[int, str], list[str]]:
    """The names of the active people who may hold a missing part (``HOLDER_ROLE``), by (unit, role), in role then
    username order. One query."""
    names: dict[tuple[int, str], list[str]] = {}
    for unit_id, role, first, last, username in (
            Membership.objects.filter(unit_id__in=set(unit_ids), user__is_active=True,
                                      role__in=list(HOLDER_ROLE.values()))
            .order_by("role", "user__username").values_list("unit_id", "role", "user__first_name", "user__last_name",
                                                            "user__username")):
        names.setdefault((unit_id, role), []).append(f"{last}{first}".strip() or username)
    return names


@dataclass(frozen=True)
class MissingPart:
    """A part not yet delivered to the lead unit: who holds it, and whether it was already chased this working
    day."""

    part: Report
    holder_role: str
    holders: tuple[str, ...]
    chased_today: bool


def missing_parts(*, user: AbstractBaseUser | AnonymousUser, task_report: Report, today: date) -> list[MissingPart]:
    """The parts of ``task_report`` still missing, with who holds them (names of the unit's reporters or head) and
    whether each was chased today. For members of the lead unit and supervisors (others: empty). Three queries."""
    scope = user_scope(user)
    if scope.user_id is None or task_report.kind != Report.Kind.TASK:
        return []
    lead_id = task_report.unit_id
    if not (scope.is_supervisor or scope.has_role(lead_id, Membership.Role.REPORTER)
            or scope.has_role(lead_id, Membership.Role.HEAD)):
        return []
    parts = list(visible_reports(user=user).filter(task_report=task_report, status__in=MISSING_STATUSES)
                 .select_related("unit").order_by("unit_order", "unit_id"))
    if not parts:
        return []
    holders = _holder_names({p.unit_id for p in parts})
    day = working_day_of(today)
    chased = set(ManualChase.objects.filter(part__in=parts, day=day).values_list("part_id", flat=True))
    return [MissingPart(part=p, holder_role=HOLDER_ROLE[Status(p.status)],
                        holders=tuple(holders.get((p.unit_id, HOLDER_ROLE[Status(p.status)]), ())),
                        chased_today=p.pk in chased) for p in parts]


@dataclass(frozen=True)
class MissingUnit:
    """A unit that still owes parts in a round: how many (and how many of them wait for its head's sign-off), who
    holds them, and whether every one was chased this working day."""

    unit: Unit
    missing: int
    to_sign_off: int
    holders: tuple[str, ...]
    chased_today: bool


def round_missing_units(*, user: AbstractBaseUser | AnonymousUser, round_id: int, today: date) -> list[MissingUnit]:
    """The units that still owe parts in a round, most parts first (those chased today last) — the round page's 催办
    list. Supervisors only (others: empty). Four queries whatever the number of units."""
    scope = user_scope(user)
    if scope.user_id is None or not scope.is_supervisor:
        return []
    owed: dict[int, list[int]] = {}
    for part_id, unit_id, status in (visible_reports(user=user)
                                     .filter(round_id=round_id, kind=Report.Kind.PART, status__in=MISSING_STATUSES)
                                     .values_list("pk", "unit_id", "status")):
        owed.setdefault(unit_id, []).append(part_id if status == Status.DRAFT else -part_id)
    if not owed:
        return []
    units = Unit.objects.in_bulk(list(owed))
    names: dict[int, list[str]] = {}
    for (unit_id, _role), people in _holder_names(owed).items():  # by role: heads, then reporters
        names.setdefault(unit_id, []).extend(people)
    day = working_day_of(today)
    chased = set(ManualChase.objects.filter(part_id__in=[abs(pk) for pks in owed.values() for pk in pks], day=day)
                 .values_list("part_id", flat=True))
    found = [MissingUnit(unit=units[unit_id], missing=len(pks), to_sign_off=sum(1 for pk in pks if pk < 0),
                         holders=tuple(names.get(unit_id, ())), chased_today=all(abs(pk) in chased for pk in pks))
             for unit_id, pks in owed.items()]
    found.sort(key=lambda row: (row.chased_today, -row.missing, row.unit.order, row.unit.code))
    return found


def duban_counts(plan_id: int, period_start: date, period_end: date, as_of: date) -> dict[int, tuple[int, int]]:
    """F3's "督办 replies on time" (``tasks.supervision``): per unit, the 督办单 of the plan whose written reply fell
    due in the period, by ``as_of`` — how many, and how many were answered by then (replied or accepted, the latest
    reply on or before its due date; after a return the new due date counts). One query."""
    last = min(period_end, as_of)
    counts: dict[int, list[int]] = {}
    answered = (SupervisionNotice.Status.REPLIED, SupervisionNotice.Status.ACCEPTED)
    for unit_id, status, reply_due, replied_at in (
            SupervisionNotice.objects.filter(plan_id=plan_id, reply_due__gte=period_start, reply_due__lte=last)
            .values_list("unit_id", "status", "reply_due", "replied_at")):
        row = counts.setdefault(unit_id, [0, 0])
        row[0] += 1
        row[1] += (status in answered and replied_at is not None
                   and timezone.localdate(replied_at) <= reply_due)
    return {unit_id: (due, on_time) for unit_id, (due, on_time) in counts.items()}
