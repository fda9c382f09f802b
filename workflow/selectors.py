"""Scoped reads of the reporting loop: the inbox, reports, round progress, a task's history.

The inbox is derived from the reports' states and the user's memberships (one indexed query),
never from viewflow's task tables, which know nothing of units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from tasks.due import classify_due
from tasks.due_sql import overdue_q
from tasks.files import LEGACY_OLE, FileType, Refused, detect_type, stored_type
from tasks.lifecycle import RETURN_COUNTERS, STEP_OF_STATUS, STEP_STATUS, ReturnLevel, Status, Step, returned_q
from tasks.models import AuditEvent, Plan, Report, ReportAttachment, ReportingRound, ReportRevision
from tasks.policy import barred_actions as duty_barred_actions
from tasks.policy import may_open_rounds, role_steps, visible_reports, waiting_q
from tasks.policy import report_actions as allowed_actions
from tasks.selectors import task_events, task_list
from tasks.services import register_editable_by
from units.models import Unit
from units.selectors import user_memberships, user_scope

S = Status


class PageByIdsQuerySet(QuerySet):
    """A page (a slice) of this queryset is read in two steps: the page's ids on the narrow rows in the queryset's
    order (an index walk on page 1, a sort of ids and sort keys only on a deep page), then those rows with their
    joins. A deep page of a long inbox otherwise sorts thousands of wide joined rows to keep fifty."""

    def __getitem__(self, k: int | slice) -> Any:
        if not isinstance(k, slice) or self._result_cache is not None:
            return super().__getitem__(k)
        ids = list(QuerySet.__getitem__(self.values_list("pk", flat=True), k))
        rows = {row.pk: row for row in self.order_by().filter(pk__in=ids)}
        return [rows[pk] for pk in ids]


def _waiting(user: AbstractBaseUser) -> QuerySet[Report]:
    scope = user_scope(user)
    wanted = waiting_q(scope) if scope.user_id is not None else None
    if wanted is None:
        return Report.objects.none()
    # A plan set back to draft leaves its rounds open, but nobody may act on it: its items leave the inbox.
    return (PageByIdsQuerySet(model=Report).filter(wanted, round__status=ReportingRound.Status.OPEN)
            .exclude(round__plan__status=Plan.Status.DRAFT))


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox may be narrowed to: one step, one unit, one plan (ids, resolved and checked by the caller),
    only returned work (``True``) or none of it (``False``)."""

    step: Step | None = None
    unit_id: int | None = None
    plan_id: int | None = None
    returned: bool | None = None

    def apply(self, items: QuerySet[Report]) -> QuerySet[Report]:
        if self.step is not None:
            items = items.filter(status=STEP_STATUS[self.step])
        if self.unit_id is not None:
            items = items.filter(unit_id=self.unit_id)
        if self.plan_id is not None:
            items = items.filter(round__plan_id=self.plan_id)
        if self.returned is not None:
            items = items.filter(returned=self.returned)
        return items


#: The inbox's order: returned work first, then by due date (so the overdue come first), task and unit — the
#: columns of ``report_inbox_order_idx``, so the first page is an index walk.
INBOX_ORDER = ("-returned", "due_date", "task_sort_key", "unit_order", "pk")


def inbox(*, user: AbstractBaseUser, filters: InboxFilters | None = None) -> QuerySet[Report]:
    """The reports whose current step is this user's (``tasks.policy.waiting_q``, from the lifecycle table): parts
    to fill (reporters), to sign off (heads), task reports to consolidate (the lead unit), to sign off (the lead
    unit's head) and to review (supervisors). Open rounds of non-draft plans only; returned work first (``Report.
    returned``), then by due date (overdue first), task and unit — sort keys stored on the report, so one index
    serves the first page (``INBOX_ORDER``); a page is read by ids first (``PageByIdsQuerySet``).

    Each row has ``step`` and ``draft_started``: true when someone saved content or attached a file since the report
    entered its current step (the revision of its current version is a save), i.e. work begun but not passed on.
    """
    items = (filters or InboxFilters()).apply(_waiting(user))
    saved = ReportRevision.objects.filter(report_id=OuterRef("pk"), version=OuterRef("version"),
                                          action__in=("update", "attach"))
    return (
        items.select_related("round", "round__plan", "task", "unit")
        .annotate(draft_started=Exists(saved))
        .order_by(*INBOX_ORDER)
    )


def inbox_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """Items per step and overdue, for the navigation badge (one query)."""
    today = timezone.localdate()
    rows = _waiting(user).order_by().values("status").annotate(
        n=Count("pk"), overdue=Count("pk", filter=overdue_q("due_date", today=today)))
    counts = {"total": 0, "overdue": 0}
    for row in rows:
        step = STEP_OF_STATUS[row["status"]]
        counts[step] = counts.get(step, 0) + row["n"]
        counts["total"] += row["n"]
        counts["overdue"] += row["overdue"]
    return counts


@dataclass(frozen=True)
class NextStep:
    """One step waiting for the user: how many items, how many of them returned or overdue, the earliest due."""

    step: Step
    count: int
    returned: int
    overdue: int
    earliest_due: date


def inbox_next_steps(*, user: AbstractBaseUser) -> list[NextStep]:
    """What the user has to do next, per step, in the table's order of steps (one query): the home page's
    "33 项待填报，截止 2027-01-10"."""
    today = timezone.localdate()
    rows = _waiting(user).order_by().values("status").annotate(
        n=Count("pk"), returned_n=Count("pk", filter=Q(returned=True)),
        overdue=Count("pk", filter=overdue_q("due_date", today=today)), earliest=Min("due_date"))
    by_step = {STEP_OF_STATUS[row["status"]]: row for row in rows}
    return [NextStep(step=step, count=row["n"], returned=row["returned_n"], overdue=row["overdue"],
                     earliest_due=row["earliest"])
            for step in Step if (row := by_step.get(step)) is not None]


def inbox_choices(*, user: AbstractBaseUser) -> tuple[list[Unit], list[Plan]]:
    """The units and the plans the user's inbox has items of, for its filters, in the units' and the plans' order
    (one query; the objects carry their ids and names only)."""
    rows = (_waiting(user).order_by()
            .values_list("unit_id", "unit__short_name", "unit__name_en", "unit__order", "round__plan_id",
                         "round__plan__code", "round__plan__title", "round__plan__title_en")
            .distinct())
    units: dict[int, Unit] = {}
    plans: dict[int, Plan] = {}
    for unit_id, short_name, name_en, order, plan_id, code, title, title_en in rows:
        units[unit_id] = Unit(pk=unit_id, short_name=short_name, name_en=name_en, order=order)
        plans[plan_id] = Plan(pk=plan_id, code=code, title=title, title_en=title_en)
    return (sorted(units.values(), key=lambda unit: (unit.order, unit.pk)),
            sorted(plans.values(), key=lambda plan: (plan.code, plan.pk)))


#: How many of the unit's own unsubmitted parts the inbox lists ("本单位待报"); the rest are counted.
UNIT_PENDING_LIMIT = 20


def unit_pending_parts(*, user: AbstractBaseUser, limit: int = UNIT_PENDING_LIMIT) -> tuple[list[Report], bool]:
    """"本单位待报" for a unit head: the parts of the units they head that are still being filled (not yet submitted
    to them), in open rounds of non-draft plans — not the head's step, but what the head answers for. Overdue
    first (by due date), then task and unit. Returns up to ``limit`` rows and whether there are more. One query for a
    head, none for anyone else."""
    scope = user_scope(user)
    head_units = [unit for unit, role in scope.roles_by_unit if role == "head"]
    if not head_units:
        return [], False
    rows = list(Report.objects.filter(kind=Report.Kind.PART, status=S.DRAFT, unit_id__in=head_units,
                                      round__status=ReportingRound.Status.OPEN)
                .exclude(round__plan__status=Plan.Status.DRAFT)
                .select_related("round", "task", "unit")
                .order_by("due_date", "task_sort_key", "unit_order", "pk")[:limit + 1])
    return rows[:limit], len(rows) > limit


def report_list(*, user: AbstractBaseUser) -> QuerySet[Report]:
    """Reports the user may see, with what a list shows."""
    return visible_reports(user=user).select_related("round", "round__plan", "task", "unit")


def report_detail(*, user: AbstractBaseUser, report_id: int) -> Report:
    """One visible report with its claims, attachments and parts; raises Report.DoesNotExist otherwise."""
    return (
        report_list(user=user)
        .select_related("task__lead_unit", "signed_off_by", "approved_by")
        .prefetch_related(
            "indicator_claims__indicator", "milestone_claims__milestone",
            Prefetch("attachments", queryset=ReportAttachment.objects.order_by("uploaded_at")),
            Prefetch("parts", queryset=Report.objects.select_related("unit").order_by("unit__order")),
            "task__indicators", "task__milestones",
        )
        .get(pk=report_id)
    )


def previous_approved(report: Report) -> Report | None:
    """The same unit's approved report of the same task in the latest earlier round (for "last period")."""
    return (
        Report.objects.filter(task_id=report.task_id, unit_id=report.unit_id, kind=report.kind, status=S.APPROVED,
                              round__period_start__lt=report.round.period_start)
        .order_by("-round__period_start")
        .prefetch_related("indicator_claims__indicator", "milestone_claims__milestone")
        .first()
    )


@dataclass(frozen=True)
class RoundCounts:
    tasks_total: int
    tasks_opened: int
    parts: int
    submitted: int
    signed_off: int
    returned: int
    overdue: int
    tasks_in_review: int
    tasks_approved: int
    returned_by_supervisor: int
    returned_by_lead: int
    returned_in_unit: int


def returned_by_level(prefix: str = "") -> dict[str, Q]:
    """The reports returned at least once at each level (``tasks.lifecycle.ReturnLevel``), as filters keyed by the
    count's name (``returned_by_supervisor``, ``returned_by_lead``, ``returned_in_unit``); ``prefix`` for a related
    lookup such as ``"reports__"``."""
    return {
        "returned_by_supervisor": Q(**{f"{prefix}{RETURN_COUNTERS[ReturnLevel.SUPERVISOR]}__gt": 0}),
        "returned_by_lead": Q(**{f"{prefix}{RETURN_COUNTERS[ReturnLevel.LEAD]}__gt": 0}),
        "returned_in_unit": Q(**{f"{prefix}{RETURN_COUNTERS[ReturnLevel.IN_UNIT]}__gt": 0}),
    }


def round_counts(round_: ReportingRound, *, today: date | None = None) -> RoundCounts:
    """Progress of a round, computed from its reports (one query).

    ``returned`` is the work sent back and not yet passed on again (``tasks.lifecycle.returned_q``, parts and task
    reports). ``returned_by_supervisor`` / ``returned_by_lead`` / ``returned_in_unit`` count the reports (parts and
    task reports) returned at least once at that level in the round, whatever they are now: only the first is
    scored (first-pass approval, ``evaluation.snapshot.unit_facts``), the other two are shown.
    """
    today = today or timezone.localdate()
    part = Q(kind=Report.Kind.PART)
    task = Q(kind=Report.Kind.TASK)
    agg = Report.objects.filter(round=round_).aggregate(
        parts=Count("pk", filter=part),
        submitted=Count("pk", filter=part & Q(submitted_at__isnull=False)),
        signed_off=Count("pk", filter=part & Q(status__in=[S.SIGNED_OFF, S.APPROVED])),
        returned=Count("pk", filter=returned_q()),
        overdue=Count("pk", filter=part & Q(submitted_at__isnull=True) & overdue_q("round__due_date", today=today)),
        tasks_in_review=Count("pk", filter=task & Q(status=S.IN_REVIEW)),
        tasks_approved=Count("pk", filter=task & Q(status=S.APPROVED)),
        **{name: Count("pk", filter=level) for name, level in returned_by_level().items()},
    )
    return RoundCounts(tasks_total=round_.tasks_total, tasks_opened=round_.tasks_opened, **agg)


def round_list(*, user: AbstractBaseUser) -> QuerySet[ReportingRound]:
    """Rounds of plans the user may read."""
    scope = user_scope(user)
    if scope.user_id is None:
        return ReportingRound.objects.none()
    from tasks.selectors import plan_list

    return ReportingRound.objects.filter(plan__in=plan_list(user=user)).select_related("plan", "opened_by")


def round_units(round_: ReportingRound, *, today: date | None = None, q: str = "", track: str = "") -> list[dict]:
    """Per unit with a report in the round: its parts, submitted, late, missing, approved — the supervisor's round
    page. One query.

    ``returned_by_supervisor`` / ``returned_by_lead`` / ``returned_in_unit`` count the unit's reports returned at
    least once at that level (``round_counts``): its parts and, for the lead unit of a task, its task report, so a
    lead unit has a row even when it has no part of its own. ``returned`` (kept for older API clients) counts the
    parts returned at any level.

    ``q`` keeps the units whose name, short name, English name or code contains it; ``track`` (a track's code)
    the units of that track. The caller scopes the round (``round_list``)."""
    today = today or timezone.localdate()
    report = Q(reports__round=round_)
    part = report & Q(reports__kind=Report.Kind.PART)
    units = Unit.objects.filter(reports__round=round_)
    if q:
        units = units.filter(
            Q(name__icontains=q) | Q(short_name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q)
        )
    if track:
        units = units.filter(track__code=track)
    rows = (
        units.distinct()
        .annotate(
            parts=Count("reports", filter=part),
            submitted=Count("reports", filter=part & Q(reports__submitted_at__isnull=False)),
            late=Count("reports", filter=part & Q(reports__on_time=False)),
            missing=Count("reports", filter=part & Q(reports__submitted_at__isnull=True)),
            returned=Count("reports", filter=part & Q(reports__times_returned__gt=0)),
            approved=Count("reports", filter=part & Q(reports__status=S.APPROVED)),
            **{name: Count("reports", filter=report & level)
               for name, level in returned_by_level("reports__").items()},
        )
        .order_by("order", "code")
    )
    overdue = classify_due(round_.due_date, done=False, today=today).is_overdue
    return [
        {"unit": unit, "parts": unit.parts, "submitted": unit.submitted, "late": unit.late,
         "missing": unit.missing, "overdue": unit.missing if overdue else 0, "returned": unit.returned,
         "returned_by_supervisor": unit.returned_by_supervisor, "returned_by_lead": unit.returned_by_lead,
         "returned_in_unit": unit.returned_in_unit, "approved": unit.approved}
        for unit in rows
    ]


def round_unit_count(round_: ReportingRound) -> int:
    """How many units have a report in the round (the round page's "of N" when it is filtered). One query."""
    return Report.objects.filter(round=round_).values("unit_id").distinct().count()


def round_tracks(round_: ReportingRound) -> QuerySet:
    """The tracks of the units with a report in the round: the choices of the round page's track filter."""
    from units.models import Track

    reports = Report.objects.filter(round=round_)
    return Track.objects.filter(units__in=reports.values("unit_id")).distinct().order_by("order", "code")


def task_history(*, user: AbstractBaseUser, task_id: int) -> QuerySet[AuditEvent]:
    """A task's audit events the user may read, newest first: the same as the task page
    (``tasks.selectors.task_events``). DoesNotExist (404) for a task the user may not read."""
    return task_events(user=user, task=task_list(user=user).get(pk=task_id))


@dataclass(frozen=True)
class UnitRoles:
    unit: Unit
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """Who the user is and what they may do: ``GET /api/me/``."""

    user: AbstractBaseUser
    units: tuple[UnitRoles, ...]
    is_supervisor: bool
    is_leader: bool
    can_open_rounds: bool
    can_edit_register: bool
    steps: tuple[str, ...]


def user_profile(*, user: AbstractBaseUser) -> Profile:
    """The user's active units with their roles there (in the units' order), the supervisor and leader flags, and
    what the services would let them do: open rounds, edit the register, act on which steps (two queries: the
    scope and the memberships)."""
    scope = user_scope(user)
    roles: dict[int, tuple[Unit, list[str]]] = {}
    memberships = (user_memberships(user=user).filter(unit__active=True)
                   .order_by("unit__order", "unit_id", "role"))
    for membership in memberships:
        roles.setdefault(membership.unit_id, (membership.unit, []))[1].append(membership.role)
    return Profile(
        user=user, units=tuple(UnitRoles(unit=unit, roles=tuple(unit_roles)) for unit, unit_roles in roles.values()),
        is_supervisor=scope.is_supervisor, is_leader=scope.is_leader, can_open_rounds=may_open_rounds(scope),
        can_edit_register=register_editable_by(user), steps=tuple(str(step) for step in role_steps(scope)),
    )


# --- read helpers of the API ---------------------------------------------------------------------------


def report_actions(*, user: AbstractBaseUser, report: Report) -> list[str]:
    """What the services would accept from this user on this report now (``tasks.policy``, in ``ACTIONS`` order).

    At most one query: a signed-off part's task report status (the lead unit may return a part only while it
    consolidates).
    """
    task_report_status = None
    if report.kind == Report.Kind.PART and report.status == S.SIGNED_OFF:
        task_report_status = Report.objects.values_list("status", flat=True).get(pk=report.task_report_id)
    return allowed_actions(user_scope(user), report, task_report_status=task_report_status)


def barred_actions(*, user: AbstractBaseUser, report: Report) -> list[str]:
    """The actions this user's role would allow on the report now but segregation of duties bars
    (``tasks.policy.DUTY_CONFLICTS``): the page says why. One query, and none where no rule applies."""
    return duty_barred_actions(user_scope(user), report)


def report_attachment(*, user: AbstractBaseUser, report_id: int, attachment_id: int) -> ReportAttachment:
    """One attachment of a report the user may see; raises ReportAttachment.DoesNotExist otherwise (404)."""
    return ReportAttachment.objects.get(pk=attachment_id, report_id=report_id,
                                        report__in=visible_reports(user=user).values("pk"))


def attachment_type(attachment: ReportAttachment) -> FileType:
    """The type an attachment is served as: the one detected at upload (``content_type``). Uploads stored before
    legacy Office files were told apart carry the generic compound-file type: those are detected again from the
    stored file when served (a lazy fallback instead of a data migration that would read every stored file; the
    row is left as it is). A file that no longer passes keeps the generic type (download only)."""
    kind = stored_type(attachment.content_type)
    if kind is not LEGACY_OLE:
        return kind
    try:
        with attachment.file.open("rb") as stream:
            return detect_type(stream)
    except (Refused, OSError):
        return LEGACY_OLE


@dataclass(frozen=True)
class Evidence:
    """A report's evidence as its reader meets it: the files of the report and, for a task report, of the parts
    the reader may see, in that order (then by unit and upload); each file's ``report.unit`` loaded."""

    files: tuple[ReportAttachment, ...]

    def of(self, milestone_id: int) -> list[ReportAttachment]:
        """The files that evidence one milestone."""
        return [f for f in self.files if f.milestone_id == milestone_id]

    def besides(self, milestone_ids: set[int]) -> list[ReportAttachment]:
        """The files that evidence none of these milestones (no milestone, or one the report does not claim)."""
        return [f for f in self.files if f.milestone_id not in milestone_ids]


def report_evidence(*, user: AbstractBaseUser, report: Report) -> Evidence:
    """The evidence a reader of ``report`` sees (one query): its own files and, for a consolidated report, those
    of its parts — scoped by ``visible_reports``, exactly like the parts themselves (those who see a task report
    see all its parts today; the filter keeps it so if that rule ever narrows)."""
    reports = Q(report_id=report.pk)
    if report.kind == Report.Kind.TASK:
        parts = visible_reports(user=user).filter(task_report_id=report.pk, kind=Report.Kind.PART)
        reports |= Q(report_id__in=parts.values("pk"))
    files = (
        ReportAttachment.objects.filter(reports)
        .select_related("report__unit")
        .annotate(own=Case(When(report_id=report.pk, then=Value(0)), default=Value(1)))
        .order_by("own", "report__unit_order", "report__unit_id", "uploaded_at", "pk")
    )
    return Evidence(files=tuple(files))
