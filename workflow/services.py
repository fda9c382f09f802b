"""Every write of the reporting loop: rounds, reports, returns, approvals, attachments.

Contract of each public service: keyword-only, atomic, audited, and it checks the acting
actor itself (viewflow does not when our code drives it). Lock order is always: the report
row (``select_for_update``), then the viewflow process row (the flow's lock). Errors:
``NotFound`` (404: outside the actor's units, never say which), ``PermissionDenied`` (403:
visible but not this actor's step), ``Conflict`` (409: wrong state, stale version, second
click, flow lock lost), ``ValidationError`` (400, with field errors).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from tasks.audit import audit_record, jsonable
from tasks.errors import Conflict, NotFound
from tasks.files import ALLOWED_LABELS, MAX_ATTACHMENT_BYTES, clean_filename, detect_type
from tasks.models import (
    Indicator,
    IndicatorClaim,
    IndicatorValue,
    Milestone,
    MilestoneClaim,
    Plan,
    PlanTask,
    Report,
    ReportAttachment,
    ReportingRound,
    ReportRevision,
)
from tasks.periods import parse_period
from tasks.policy import can_edit, is_lead_member, visible_reports
from units.models import Membership
from units.selectors import user_scope

log = logging.getLogger(__name__)
Role = Membership.Role
S = Report.Status

# The status a report waits in while each human step of the flow is open.
STEP_STATUS = {"fill": S.DRAFT, "sign_off": S.SUBMITTED, "consolidate": S.CONSOLIDATING, "review": S.IN_REVIEW}
ACTIVE_FLOW_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


# --- small reads the flow's callbacks use ------------------------------------------------------

def part_ids(*, task_report_id: int, status: str | None = None) -> list[int]:
    """Ids of a task report's parts (optionally in one status), in unit order."""
    qs = Report.objects.filter(task_report_id=task_report_id, kind=Report.Kind.PART)
    if status is not None:
        qs = qs.filter(status=status)
    return list(qs.order_by("unit__order", "unit_id").values_list("pk", flat=True))


def report_status(report_id: int) -> str:
    return Report.objects.values_list("status", flat=True).get(pk=report_id)


def step_created(*, report_id: int, step: str, flow_task_id: int) -> None:
    """Called when the flow opens a human step: link the report to it and set the status it waits in.

    When consolidation opens, the task report is pre-filled from its parts, so the lead unit
    starts from what the units reported instead of typing it again.
    """
    Report.objects.filter(pk=report_id).update(flow_task_id=flow_task_id, status=STEP_STATUS[step])
    if step == "consolidate":
        _prefill_task_report(Report.objects.select_related("task").get(pk=report_id))


# --- scoping -------------------------------------------------------------------------------------

def _locked_report(actor: AbstractBaseUser, report_id: int) -> Report:
    try:
        return (
            visible_reports(user=actor)
            .select_for_update(of=("self",))
            .select_related("round__plan", "task", "unit")
            .get(pk=report_id)
        )
    except Report.DoesNotExist:
        raise NotFound from None


def _check_version(report: Report, version: int | None) -> None:
    if version is not None and int(version) != report.version:
        raise Conflict(_("报告已被他人修改（当前版本 %(current)s，你提交的是 %(sent)s），请刷新后再试。")
                       % {"current": report.version, "sent": version})


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("你无权执行此步骤。"))


def _require_status(report: Report, *statuses: str) -> None:
    if report.status not in statuses:
        raise Conflict(_("报告当前状态为“%(status)s”，不能执行此操作。") % {"status": report.get_status_display()})


# --- driving the flow ------------------------------------------------------------------------------

def _complete_step(report: Report, *, actor: AbstractBaseUser, step: str) -> None:
    """Complete the viewflow task the report waits on (assign → start → execute) under the flow lock."""
    from workflow.flows import ReportFlow

    node = getattr(ReportFlow, step)
    try:
        flow_task = FlowTask.objects.get(pk=report.flow_task_id)
    except FlowTask.DoesNotExist:
        raise Conflict(_("流程步骤不存在，请刷新。")) from None
    if flow_task.flow_task != node or flow_task.status not in ACTIVE_FLOW_STATUSES:
        raise Conflict(_("此步骤已处理，请刷新。"))
    try:
        with flow_task.activation() as activation:
            if activation.task.status not in ACTIVE_FLOW_STATUSES:
                raise Conflict(_("此步骤已处理，请刷新。"))
            if activation.task.status == STATUS.NEW:
                activation.assign(actor)
            elif activation.task.owner_id != actor.pk:
                activation.reassign(actor)
            if activation.task.status == STATUS.ASSIGNED:
                activation.start(None)
            activation.execute()
    except (TransitionNotAllowed, FlowLockFailed) as exc:
        raise Conflict(_("流程正忙或状态已变化，请稍后重试。")) from exc


# --- report content ------------------------------------------------------------------------------

def snapshot(report: Report) -> dict[str, Any]:
    """The report's content as plain data (for revisions, audit and "what changed")."""
    return jsonable({
        "status": report.status,
        "narrative": report.narrative,
        "percent_complete": report.percent_complete,
        "indicator_values": {c.indicator.code: c.value for c in report.indicator_claims.select_related("indicator")},
        "milestone_claims": {
            c.milestone.code: {"completed_date": c.completed_date, "evidence": c.evidence}
            for c in report.milestone_claims.select_related("milestone")
        },
    })


def _revise(report: Report, *, actor: AbstractBaseUser | None, action: str, fields: Iterable[str] = ()) -> None:
    """Bump the version and keep a revision. ``fields`` the caller changed are saved in the same UPDATE."""
    report.version += 1
    report.save(update_fields=[*fields, "version", "updated_at"])
    ReportRevision.objects.create(report=report, version=report.version, action=action, data=snapshot(report),
                                  by=actor)


def _parse_decimal(value: Any, field: str, errors: dict) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("不是有效的数字：%(value)s") % {"value": value})
        return None


def _parse_date(value: Any, field: str, errors: dict) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.setdefault(field, []).append(_("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value})
        return None


@transaction.atomic
def report_update(*, actor: AbstractBaseUser, report_id: int, data: dict[str, Any],
                  version: int | None = None) -> Report:
    """Save a draft (autosave). Keys: narrative, percent_complete, indicator_values [{indicator, value, note}],
    milestone_claims [{milestone, completed_date, evidence}] (lists replace what was there)."""
    report = _locked_report(actor, report_id)
    _check_version(report, version)
    _require(can_edit(user_scope(actor), report))
    errors: dict[str, list[str]] = {}
    if "narrative" in data:
        report.narrative = str(data["narrative"] or "")[:20000]
    if "percent_complete" in data:
        raw = data["percent_complete"]
        percent = None if raw in (None, "") else _parse_decimal(raw, "percent_complete", errors)
        if percent is not None and not Decimal("0") <= percent <= Decimal("100"):
            errors.setdefault("percent_complete", []).append(_("完成百分比应在 0 到 100 之间。"))
        report.percent_complete = percent
    indicators = {i.pk: i for i in Indicator.objects.filter(task_id=report.task_id)}
    milestones = {m.pk: m for m in Milestone.objects.filter(task_id=report.task_id)}
    new_values: list[IndicatorClaim] = []
    if "indicator_values" in data:
        for n, row in enumerate(data["indicator_values"] or []):
            field = f"indicator_values[{n}]"
            indicator = indicators.get(as_int(row.get("indicator")))
            if indicator is None:
                errors.setdefault(field, []).append(_("指标不属于此任务：%(value)s") % {"value": row.get("indicator")})
                continue
            if row.get("value") in (None, ""):
                continue
            value = _parse_decimal(row.get("value"), field, errors)
            if value is not None:
                new_values.append(IndicatorClaim(report=report, indicator=indicator, value=value,
                                                 note=str(row.get("note") or "")[:500]))
    new_claims: list[MilestoneClaim] = []
    if "milestone_claims" in data:
        for n, row in enumerate(data["milestone_claims"] or []):
            field = f"milestone_claims[{n}]"
            milestone = milestones.get(as_int(row.get("milestone")))
            if milestone is None:
                errors.setdefault(field, []).append(_("节点不属于此任务：%(value)s") % {"value": row.get("milestone")})
                continue
            completed = _parse_date(row.get("completed_date"), field, errors)
            if completed is not None and completed > timezone.localdate():
                errors.setdefault(field, []).append(_("完成日期不能晚于今天。"))
                continue
            if completed is not None:
                new_claims.append(MilestoneClaim(report=report, milestone=milestone, completed_date=completed,
                                                 evidence=str(row.get("evidence") or "")[:5000]))
    if errors:
        raise ValidationError(errors)
    if "indicator_values" in data:
        report.indicator_claims.all().delete()
        IndicatorClaim.objects.bulk_create(new_values)
    if "milestone_claims" in data:
        report.milestone_claims.all().delete()
        MilestoneClaim.objects.bulk_create(new_claims)
    _revise(report, actor=actor, action="update", fields=["narrative", "percent_complete"])
    return report


def as_int(value: Any) -> int | None:
    """An id from form or JSON input, or None when it is not a whole number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the steps -------------------------------------------------------------------------------------

def _audit(report: Report, *, actor: AbstractBaseUser, action: str, before: dict, comment: str = "") -> None:
    audit_record(action=action, obj=report, actor=actor, unit=report.unit, plan=report.round.plan, task=report.task,
                 before=before, after={"status": report.status, "version": report.version}, comment=comment)


@transaction.atomic
def report_submit(*, actor: AbstractBaseUser, report_id: int, version: int | None = None) -> Report:
    """A unit's reporter submits its part for sign-off; or the lead unit sends the consolidated report to review.

    The first submission of a part records submitted_at and whether it was on time (by the round's due date,
    Asia/Shanghai). A second click gets 409.
    """
    report = _locked_report(actor, report_id)
    _check_version(report, version)
    scope = user_scope(actor)
    before = {"status": report.status}
    if report.kind == Report.Kind.PART:
        _require(scope.has_role(report.unit_id, Role.REPORTER))
        _require_status(report, S.DRAFT)
        if report.submitted_at is None:
            report.submitted_at = timezone.now()
            report.on_time = timezone.localdate() <= report.round.due_date
        report.status = S.SUBMITTED
        step, action = "fill", "report.submit"
    else:
        _require(is_lead_member(scope, report))
        _require_status(report, S.CONSOLIDATING)
        report.status = S.IN_REVIEW
        report.submitted_at = report.submitted_at or timezone.now()
        step, action = "consolidate", "report.consolidate"
    _revise(report, actor=actor, action=action, fields=["status", "submitted_at", "on_time"])
    _complete_step(report, actor=actor, step=step)
    _audit(report, actor=actor, action=action, before=before)
    return report


@transaction.atomic
def report_sign_off(*, actor: AbstractBaseUser, report_id: int, version: int | None = None) -> Report:
    """The unit head signs off the unit's submitted part; it then waits for the lead unit's consolidation."""
    report = _locked_report(actor, report_id)
    _check_version(report, version)
    _require(report.kind == Report.Kind.PART and user_scope(actor).has_role(report.unit_id, Role.HEAD))
    _require_status(report, S.SUBMITTED)
    before = {"status": report.status}
    report.status = S.SIGNED_OFF
    report.signed_off_by = actor
    report.signed_off_at = timezone.now()
    _revise(report, actor=actor, action="sign_off", fields=["status", "signed_off_by", "signed_off_at"])
    _complete_step(report, actor=actor, step="sign_off")
    _audit(report, actor=actor, action="report.sign_off", before=before)
    return report


@transaction.atomic
def report_return(*, actor: AbstractBaseUser, report_id: int, reason: str, part_id: int | None = None,
                  version: int | None = None) -> Report:
    """Send work back with a required reason. Who returns what depends on where the report is:

    - a submitted part, by its unit head: back to the unit's reporter (inside the unit);
    - a signed-off part while its task is being consolidated, by the lead unit: back to that unit;
    - the task report in review, by a supervisor: back to the lead unit, or (``part_id``) one unit's part.
    Returns the report that went back.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("退回必须填写理由。")]})
    report = _locked_report(actor, report_id)
    _check_version(report, version)
    scope = user_scope(actor)
    if report.kind == Report.Kind.PART and report.status == S.SUBMITTED:
        _require(scope.has_role(report.unit_id, Role.HEAD))
        return _return_part(report, actor=actor, reason=reason, step="sign_off", action="report.return_in_unit")
    if report.kind == Report.Kind.PART and report.status == S.SIGNED_OFF:
        task_report = Report.objects.select_for_update().get(pk=report.task_report_id)
        _require(is_lead_member(scope, report))
        if task_report.status != S.CONSOLIDATING:
            raise Conflict(_("只有在牵头单位汇总时才能退回单位报告。"))
        _return_part(report, actor=actor, reason=reason, step=None, action="report.return_by_lead")
        task_report.status = S.WAITING
        _revise(task_report, actor=actor, action="part_returned", fields=["status"])
        _complete_step(task_report, actor=actor, step="consolidate")
        return report
    if report.kind == Report.Kind.TASK:
        _require(scope.is_supervisor)
        _require_status(report, S.IN_REVIEW)
        before = {"status": report.status}
        report.times_returned += 1
        report.last_return_reason = reason
        if part_id is None:
            report.status = S.CONSOLIDATING
            returned = report
        else:
            try:
                part = Report.objects.select_for_update().get(pk=part_id, task_report=report)
            except Report.DoesNotExist:
                raise ValidationError({"part": [_("该单位报告不属于此任务报告。")]}) from None
            _return_part(part, actor=actor, reason=reason, step=None, action="report.return_by_supervisor")
            report.status = S.WAITING
            returned = part
        _revise(report, actor=actor, action="return", fields=["status", "times_returned", "last_return_reason"])
        _complete_step(report, actor=actor, step="review")
        _audit(report, actor=actor, action="report.return", before=before, comment=reason)
        return returned
    _require(scope.has_role(report.unit_id, Role.HEAD) or is_lead_member(scope, report) or scope.is_supervisor)
    raise Conflict(_("报告当前状态为“%(status)s”，不能退回。") % {"status": report.get_status_display()})


def _return_part(part: Report, *, actor: AbstractBaseUser, reason: str, step: str | None, action: str) -> Report:
    before = {"status": part.status}
    part.status = S.DRAFT
    part.times_returned += 1
    part.last_return_reason = reason
    # A returned part must be signed off again; the old sign-off no longer stands.
    part.signed_off_by = None
    part.signed_off_at = None
    _revise(part, actor=actor, action="return",
            fields=["status", "times_returned", "last_return_reason", "signed_off_by", "signed_off_at"])
    if step is not None:
        _complete_step(part, actor=actor, step=step)
    _audit(part, actor=actor, action=action, before=before, comment=reason)
    return part


@transaction.atomic
def report_approve(*, actor: AbstractBaseUser, report_id: int, version: int | None = None) -> Report:
    """A supervisor approves a task report in review; the flow then applies what it claims."""
    report = _locked_report(actor, report_id)
    _check_version(report, version)
    _require(report.kind == Report.Kind.TASK and user_scope(actor).is_supervisor)
    _require_status(report, S.IN_REVIEW)
    before = {"status": report.status}
    now = timezone.now()
    report.status = S.APPROVED
    report.approved_by = actor
    report.approved_at = now
    report.parts.update(status=S.APPROVED, approved_by=actor, approved_at=now)
    _revise(report, actor=actor, action="approve", fields=["status", "approved_by", "approved_at"])
    _complete_step(report, actor=actor, step="review")
    _audit(report, actor=actor, action="report.approve", before=before)
    return report


def approval_apply(*, task_report_id: int) -> None:
    """Apply an approved task report: milestone completions and indicator values (called by the flow).

    Idempotent: a milestone already completed keeps its first approved completion; an indicator value
    for the round is overwritten by the same report's value.
    """
    report = Report.objects.select_related("round__plan", "task", "unit").get(pk=task_report_id)
    if report.status != S.APPROVED:
        raise Conflict("only an approved report is applied")
    milestone_claims = list(report.milestone_claims.select_related("milestone"))
    indicator_claims = list(report.indicator_claims.select_related("indicator"))
    for claim in milestone_claims:
        Milestone.objects.filter(pk=claim.milestone_id, status=Milestone.Status.PENDING).update(
            status=Milestone.Status.DONE, completed_date=claim.completed_date, completion_report=report
        )
    for claim in indicator_claims:
        IndicatorValue.objects.update_or_create(
            indicator_id=claim.indicator_id, round=report.round,
            defaults={"value": claim.value, "report": report, "approved_at": report.approved_at},
        )
    PlanTask.objects.filter(pk=report.task_id, status=PlanTask.Status.NOT_STARTED).update(
        status=PlanTask.Status.IN_PROGRESS
    )
    audit_record(action="report.apply", obj=report, unit=report.unit, plan=report.round.plan, task=report.task,
                 after={"milestones": [c.milestone.code for c in milestone_claims],
                        "indicators": [c.indicator.code for c in indicator_claims]})


def _prefill_task_report(task_report: Report) -> None:
    """Start the consolidated report from its parts: the lead unit's part first, then the others in order."""
    parts = list(task_report.parts.select_related("unit").prefetch_related("indicator_claims", "milestone_claims")
                 .order_by("unit__order", "unit_id"))
    parts.sort(key=lambda part: part.unit_id != task_report.unit_id)
    values: dict[int, IndicatorClaim | None] = dict.fromkeys(
        task_report.indicator_claims.values_list("indicator_id", flat=True))
    claims: dict[int, MilestoneClaim | None] = dict.fromkeys(
        task_report.milestone_claims.values_list("milestone_id", flat=True))
    for part in parts:
        for claim in part.indicator_claims.all():
            if claim.indicator_id not in values:
                values[claim.indicator_id] = IndicatorClaim(
                    report=task_report, indicator_id=claim.indicator_id, value=claim.value, note=claim.note)
        for claim in part.milestone_claims.all():
            if claim.milestone_id not in claims:
                claims[claim.milestone_id] = MilestoneClaim(
                    report=task_report, milestone_id=claim.milestone_id, completed_date=claim.completed_date,
                    evidence=claim.evidence)
    IndicatorClaim.objects.bulk_create([claim for claim in values.values() if claim is not None])
    MilestoneClaim.objects.bulk_create([claim for claim in claims.values() if claim is not None])
    if not task_report.narrative:
        task_report.narrative = "\n\n".join(f"【{p.unit.short_name}】{p.narrative}" for p in parts if p.narrative)
        percents = [p.percent_complete for p in parts if p.percent_complete is not None]
        if task_report.percent_complete is None and percents:
            task_report.percent_complete = min(percents)
        task_report.save(update_fields=["narrative", "percent_complete", "updated_at"])


# --- attachments ------------------------------------------------------------------------------------

@transaction.atomic
def report_attach(*, actor: AbstractBaseUser, report_id: int, upload: UploadedFile,
                  milestone_id: int | None = None) -> ReportAttachment:
    """Attach evidence to an editable report. The type is judged from the content (PDF, images, Word, Excel);
    at most 20 MB; stored under a generated name; the uploader's name is kept only as a label."""
    report = _locked_report(actor, report_id)
    _require(can_edit(user_scope(actor), report))
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": [_("文件不能超过 20 MB。")]})
    if upload.size == 0:
        raise ValidationError({"file": [_("文件是空的。")]})
    kind = detect_type(upload.file)
    if kind is None:
        message = _("不支持的文件类型（按内容识别）。允许：%(allowed)s。") % {"allowed": ALLOWED_LABELS}
        raise ValidationError({"file": [message]})
    if milestone_id is not None and not Milestone.objects.filter(pk=milestone_id, task_id=report.task_id).exists():
        raise ValidationError({"milestone": [_("节点不属于此任务。")]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = ReportAttachment(
        report=report, milestone_id=milestone_id, original_name=clean_filename(upload.name or ""),
        content_type=kind.content_type, extension=kind.extension, size=upload.size, sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    _revise(report, actor=actor, action="attach")
    audit_record(action="report.attach", obj=report, actor=actor, unit=report.unit, plan=report.round.plan,
                 task=report.task, after={"file": attachment.original_name, "size": attachment.size})
    return attachment


# --- rounds ------------------------------------------------------------------------------------------

def reportable_tasks(plan: Plan) -> QuerySet[PlanTask]:
    """Tasks that report in a round: leaves of the tree with a lead unit, not yet done."""
    return (PlanTask.objects.filter(plan=plan, lead_unit__isnull=False, children__isnull=True)
            .exclude(status=PlanTask.Status.DONE).order_by("sort_key"))


@transaction.atomic
def round_open(*, actor: AbstractBaseUser, plan: Plan, period: str, due_date: date) -> tuple[ReportingRound, bool]:
    """Open a reporting round (supervisors only). Idempotent: opening the same plan and period again returns
    the existing round and starts nothing. The processes are started by a Celery job after commit."""
    if not user_scope(actor).is_supervisor:
        raise PermissionDenied(_("只有督查专班可以开启报送轮次。"))
    try:
        parsed = parse_period(period)
    except ValueError:
        message = _("期次格式应为 2025-Q3 或 2025-07，收到“%(value)s”。") % {"value": period}
        raise ValidationError({"period": [message]}) from None
    if plan.status != Plan.Status.ACTIVE:
        raise ValidationError({"plan": [_("只有实施中的方案可以开启报送。")]})
    if due_date < parsed.start:
        raise ValidationError({"due_date": [_("截止日期不能早于期初。")]})
    existing = ReportingRound.objects.filter(plan=plan, period=parsed.code).first()
    if existing is not None:
        return existing, False
    round_ = ReportingRound.objects.create(
        plan=plan, period=parsed.code, period_start=parsed.start, period_end=parsed.end, due_date=due_date,
        opened_by=actor, tasks_total=reportable_tasks(plan).count(),
    )
    audit_record(action="round.open", obj=round_, actor=actor, plan=plan,
                 after={"period": round_.period, "due_date": due_date, "tasks": round_.tasks_total})
    from workflow.jobs import round_open_job

    transaction.on_commit(lambda: round_open_job.delay(round_.pk))
    return round_, True


def round_open_run(*, round_id: int, chunk: int = 100) -> ReportingRound:
    """Start one process per reportable task of the round, in short transactions of ``chunk`` tasks.

    Idempotent and safe to run twice at once: each chunk locks the round row, and a task that already
    has its report in the round is skipped.
    """
    while True:
        with transaction.atomic():
            round_ = ReportingRound.objects.select_for_update().select_related("plan").get(pk=round_id)
            if round_.status != ReportingRound.Status.OPENING:
                return round_
            done = Report.objects.filter(round=round_, kind=Report.Kind.TASK)
            opened = done.count()
            # Only this chunk's tasks are loaded: the remaining ones are picked by the database.
            batch = list(reportable_tasks(round_.plan).exclude(pk__in=done.values("task_id"))
                         .select_related("lead_unit").prefetch_related("task_units")[:chunk])
            for task in batch:
                round_open_task(round_=round_, task=task)
            round_.tasks_opened = opened + len(batch)
            round_.tasks_total = max(round_.tasks_total, round_.tasks_opened)
            fields = ["tasks_opened", "tasks_total"]
            if len(batch) < chunk:
                # Nothing left: tasks closed since the round was created no longer count.
                round_.tasks_total = round_.tasks_opened
                round_.status = ReportingRound.Status.OPEN
                round_.open_finished_at = timezone.now()
                fields += ["status", "open_finished_at"]
            round_.save(update_fields=fields)
            if round_.status == ReportingRound.Status.OPEN:
                return round_


def round_open_task(*, round_: ReportingRound, task: PlanTask) -> Report:
    """Create the task's consolidated report and one part per responsible unit (the lead alone if none),
    carrying over values from each unit's last approved report, then start the task's process."""
    from workflow.flows import ReportFlow

    task_report = Report.objects.create(round=round_, task=task, unit=task.lead_unit, kind=Report.Kind.TASK,
                                        status=S.WAITING)
    unit_ids = [link.unit_id for link in sorted(task.task_units.all(), key=lambda link: (link.order, link.pk))]
    parts = Report.objects.bulk_create([
        Report(round=round_, task=task, unit_id=unit_id, kind=Report.Kind.PART, task_report=task_report,
               status=S.DRAFT)
        for unit_id in (unit_ids or [task.lead_unit_id])
    ])
    _carry_over(parts)
    ReportFlow.start.run(task_report=task_report)
    return task_report


def _carry_over(parts: Iterable[Report]) -> None:
    """一件事一次办: start each part from the unit's last approved part of the same task (a few queries for all)."""
    wanted = {(part.task_id, part.unit_id): part for part in parts}
    if not wanted:
        return
    lasts: dict[tuple[int, int], Report] = {}
    approved = Report.objects.filter(task_id__in={key[0] for key in wanted}, unit_id__in={key[1] for key in wanted},
                                     kind=Report.Kind.PART, status=S.APPROVED)
    for last in approved.order_by("-approved_at"):
        if (last.task_id, last.unit_id) in wanted:
            lasts.setdefault((last.task_id, last.unit_id), last)
    if not lasts:
        return
    claims: dict[int, list[IndicatorClaim]] = {}
    for claim in IndicatorClaim.objects.filter(report_id__in=[last.pk for last in lasts.values()]):
        claims.setdefault(claim.report_id, []).append(claim)
    carried: list[Report] = []
    for key, last in lasts.items():
        part = wanted[key]
        part.narrative, part.percent_complete = last.narrative, last.percent_complete
        carried.append(part)
    Report.objects.bulk_update(carried, ["narrative", "percent_complete"])
    IndicatorClaim.objects.bulk_create([
        IndicatorClaim(report=wanted[key], indicator_id=c.indicator_id, value=c.value, note=c.note)
        for key, last in lasts.items() for c in claims.get(last.pk, [])
    ])
