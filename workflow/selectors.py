"""Scoped reads of the reporting loop: the inbox, reports, round progress, a task's history.

The inbox is derived from the reports' states and the user's memberships (one indexed query),
never from viewflow's task tables, which know nothing of units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from tasks.due import classify_due
from tasks.due_sql import overdue_q
from tasks.files import LEGACY_OLE, FileType, Refused, detect_type, stored_type
from tasks.lifecycle import STEP_OF_STATUS, Status, returned_q
from tasks.models import AuditEvent, Plan, Report, ReportAttachment, ReportingRound
from tasks.policy import barred_actions as duty_barred_actions
from tasks.policy import report_actions as allowed_actions
from tasks.policy import visible_reports, waiting_q
from tasks.selectors import task_events, task_list
from units.selectors import user_scope

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


def inbox(*, user: AbstractBaseUser) -> QuerySet[Report]:
    """The reports whose current step is this user's (``tasks.policy.waiting_q``, from the lifecycle table): parts
    to fill (reporters), to sign off (heads), task reports to consolidate (the lead unit), to sign off (the lead
    unit's head) and to review (supervisors). Open rounds only; by due date (overdue first), task and unit —
    sort keys copied onto the report, so one index serves the first page; a page is read by ids first
    (``PageByIdsQuerySet``). Each row has ``step``."""
    return (
        _waiting(user)
        .select_related("round", "round__plan", "task", "unit")
        .order_by("due_date", "task_sort_key", "unit_order", "pk")
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


def round_counts(round_: ReportingRound, *, today: date | None = None) -> RoundCounts:
    """Progress of a round, computed from its reports (one query)."""
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
    """Per unit: parts, submitted, late, missing, returned — the supervisor's round page. One query.

    ``q`` keeps the units whose name, short name, English name or code contains it; ``track`` (a track's code)
    the units of that track. The caller scopes the round (``round_list``)."""
    today = today or timezone.localdate()
    part = Q(reports__round=round_, reports__kind=Report.Kind.PART)
    from units.models import Unit

    units = Unit.objects.filter(reports__round=round_, reports__kind=Report.Kind.PART)
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
        )
        .order_by("order", "code")
    )
    overdue = classify_due(round_.due_date, done=False, today=today).is_overdue
    return [
        {"unit": unit, "parts": unit.parts, "submitted": unit.submitted, "late": unit.late,
         "missing": unit.missing, "overdue": unit.missing if overdue else 0, "returned": unit.returned,
         "approved": unit.approved}
        for unit in rows
    ]


def round_unit_count(round_: ReportingRound) -> int:
    """How many units have a part in the round (the round page's "of N" when it is filtered). One query."""
    return Report.objects.filter(round=round_, kind=Report.Kind.PART).values("unit_id").distinct().count()


def round_tracks(round_: ReportingRound) -> QuerySet:
    """The tracks of the units with a part in the round: the choices of the round page's track filter."""
    from units.models import Track

    parts = Report.objects.filter(round=round_, kind=Report.Kind.PART)
    return Track.objects.filter(units__in=parts.values("unit_id")).distinct().order_by("order", "code")


def task_history(*, user: AbstractBaseUser, task_id: int) -> QuerySet[AuditEvent]:
    """A task's audit events the user may read, newest first: the same as the task page
    (``tasks.selectors.task_events``). DoesNotExist (404) for a task the user may not read."""
    return task_events(user=user, task=task_list(user=user).get(pk=task_id))


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
