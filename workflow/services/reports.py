"""The report steps: save, submit, sign off, return, approve.

Each service: keyword-only, atomic, audited; it locks what it changes (lock order in ``workflow.services``),
checks the acting user itself through ``tasks.policy`` (viewflow does not when our code drives it), and moves
statuses only through ``transitions.apply``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.due import classify_due
from tasks.errors import Conflict
from tasks.lifecycle import RETURN_COUNTERS, RETURN_LEVELS, Action, Kind, Status, Step, System
from tasks.models import Report
from tasks.signals import facts_changed
from units.selectors import user_scope
from workflow.inputs import ReportContent
from workflow.services import content as report_content
from workflow.services.transitions import apply, apply_set, authorize, check_version, lock_report, locked_for


@transaction.atomic
def report_update(*, actor: AbstractBaseUser, report_id: int, content: ReportContent,
                  version: int | None = None) -> Report:
    """Save a draft or the consolidation in progress (autosave). Lists given replace what was there."""
    report = locked_for(actor, report_id, Action.EDIT, version=version)
    report_content.save_content(report, content, actor=actor)
    return report


@transaction.atomic
def report_submit(*, actor: AbstractBaseUser, report_id: int, version: int | None = None,
                  content: ReportContent | None = None) -> Report:
    """A unit's reporter submits its part for sign-off; the lead unit submits the consolidated report for its head's
    sign-off (or straight to review when the plan has none). ``content`` is saved first, in the same transaction
    and under the same lock (the page's "save and submit").

    The first submission of a part records submitted_at and whether it was on time (by the round's due date,
    Asia/Shanghai). A second click gets 409. What a reviewer needs must be there (``content.check_submittable``:
    narrative, percent, evidence for each milestone claimed): a 400 naming each missing field otherwise.
    """
    report = locked_for(actor, report_id, Action.SUBMIT, version=version)
    if content is not None and not content.empty:
        report_content.save_content(report, content, actor=actor)
    report_content.check_submittable(report, content)
    now = timezone.now()
    if report.kind == Kind.PART:
        if report.submitted_at is None:
            report.submitted_at = now
            report.on_time = not classify_due(report.round.due_date, done=False, today=timezone.localdate()).is_overdue
        return apply(report, Action.SUBMIT, actor=actor, now=now, fields=["submitted_at", "on_time"],
                     audit="report.submit")
    first = report.submitted_at is None
    report.submitted_at = report.submitted_at or now
    report = apply(report, Action.SUBMIT, actor=actor, now=now, fields=["submitted_at"],
                   audit="report.consolidate", step=Step.CONSOLIDATE)
    if first:  # a task report past its round's due date stops counting as missed
        facts_changed(plan_id=report.round.plan_id, task_ids=[report.task_id])
    return report


@transaction.atomic
def report_sign_off(*, actor: AbstractBaseUser, report_id: int, version: int | None = None) -> Report:
    """A unit head signs off the unit's submitted part; the lead unit's head signs off the consolidated report,
    which then goes to review. The last part signed off opens the consolidation (part, then task report lock)."""
    report = locked_for(actor, report_id, Action.SIGN_OFF, version=version)
    now = timezone.now()
    report.signed_off_by = actor
    report.signed_off_at = now
    fields = ["signed_off_by", "signed_off_at"]
    if report.kind == Kind.TASK:
        return apply(report, Action.SIGN_OFF, actor=actor, now=now, fields=fields, audit="report.lead_sign_off",
                     step=Step.LEAD_SIGN_OFF)
    apply(report, Action.SIGN_OFF, actor=actor, now=now, fields=fields, audit="report.sign_off")
    _open_consolidation_when_ready(report, actor=actor, now=now)
    return report


def _open_consolidation_when_ready(part: Report, *, actor: AbstractBaseUser, now: timezone.datetime) -> None:
    """Lock the task report; when every part is signed off, it moves to consolidation, pre-filled from the parts."""
    task_report = (Report.objects.select_for_update(of=("self",), no_key=True).select_related("round")
                   .get(pk=part.task_report_id))
    if task_report.status != Status.WAITING:
        return
    pending = Report.objects.filter(task_report_id=task_report.pk, kind=Kind.PART).exclude(status=Status.SIGNED_OFF)
    if pending.exists():
        return
    fields = report_content.prefill_task_report(task_report)
    apply(task_report, System.PARTS_READY, actor=actor, now=now, fields=fields, audit="report.parts_ready")


@transaction.atomic
def report_return(*, actor: AbstractBaseUser, report_id: int, reason: str, part_id: int | None = None,
                  version: int | None = None) -> Report:
    """Send work back with a required reason. Who returns what depends on where the report is:

    - a submitted part, by its unit head: back to the unit's reporter (inside the unit);
    - a signed-off part while its task is being consolidated, by the lead unit: back to that unit;
    - the consolidated report awaiting its head's sign-off, by the lead unit's head: back to consolidation;
    - the task report in review, by a supervisor: back to the lead unit, or (``part_id``) one unit's part.
    Returns the report that went back. One audit event per return, named by its level.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("退回必须填写理由。")]})
    if part_id is not None:
        return _return_part_from_review(actor=actor, task_report_id=report_id, part_id=part_id, reason=reason,
                                        version=version)
    report = lock_report(actor, report_id)
    check_version(report, version)
    scope = user_scope(actor)
    if report.kind == Kind.PART and report.status == Status.SIGNED_OFF:
        # Part, then task report: the lock order.
        task_report = (Report.objects.select_for_update(of=("self",), no_key=True).select_related("round")
                       .get(pk=report.task_report_id))
        authorize(scope, report, Action.RETURN, task_report_status=task_report.status)
        _send_back(report, actor=actor, reason=reason, audit="report.return_by_lead")
        apply(task_report, System.PART_RETURNED, actor=actor)
        return report
    authorize(scope, report, Action.RETURN)
    if report.kind == Kind.PART:
        return _send_back(report, actor=actor, reason=reason, audit="report.return_in_unit")
    if report.status == Status.LEAD_SIGN_OFF:
        return _send_back(report, actor=actor, reason=reason, audit="report.return_by_lead_head",
                          step=Step.LEAD_SIGN_OFF)
    return _send_back(report, actor=actor, reason=reason, audit="report.return_by_supervisor", step=Step.REVIEW)


def _return_part_from_review(*, actor: AbstractBaseUser, task_report_id: int, part_id: int, reason: str,
                             version: int | None) -> Report:
    """A supervisor returns one unit's part of a task report in review: the part goes back to its unit, the task
    report waits for it (and its review step closes; consolidation reopens once the part is signed off again)."""
    # Part, then task report: the lock order. The part is locked before we know the actor may see the task
    # report; nothing is read from it or changed until they may.
    part = Report.objects.select_for_update(no_key=True).filter(pk=part_id, task_report_id=task_report_id).first()
    task_report = locked_for(actor, task_report_id, Action.RETURN, version=version)
    if part is None or part.kind != Kind.PART:
        raise ValidationError({"part": [_("该单位报告不属于此任务报告。")]})
    if part.status != Status.SIGNED_OFF:
        raise Conflict(_("该单位报告当前状态为“%(status)s”，不能退回。") % {"status": part.get_status_display()})
    part.round = task_report.round
    task_report.times_returned += 1
    task_report.last_return_reason = reason
    apply(task_report, System.PART_RETURNED, actor=actor, fields=["times_returned", "last_return_reason"],
          step=Step.REVIEW)
    _send_back(part, actor=actor, reason=reason, audit="report.return_part_by_supervisor",
               after={"task_report": task_report.pk})
    return part


def _send_back(report: Report, *, actor: AbstractBaseUser, reason: str, audit: str, step: str = "",
               after: dict | None = None) -> Report:
    """Return the report: its audit event (``audit``, the return's level) and the counter of that level
    (``tasks.lifecycle.RETURN_LEVELS``) are written together, so the round's counts by level match the trail."""
    counter = RETURN_COUNTERS[RETURN_LEVELS[audit]]
    setattr(report, counter, getattr(report, counter) + 1)
    report.times_returned += 1
    report.last_return_reason = reason
    # A returned report must be signed off again; the old sign-off no longer stands.
    report.signed_off_by = None
    report.signed_off_at = None
    return apply(report, Action.RETURN, actor=actor, audit=audit, comment=reason, step=step, after=after,
                 fields=["times_returned", counter, "last_return_reason", "signed_off_by", "signed_off_at"])


@transaction.atomic
def report_approve(*, actor: AbstractBaseUser, report_id: int, version: int | None = None) -> Report:
    """A supervisor approves a task report in review: it and its parts are approved, and what it claims is
    applied (milestone completions, indicator values). Parts are locked before the task report (the lock order)."""
    parts = list(Report.objects.select_for_update(no_key=True).filter(task_report_id=report_id).order_by("pk")
                 .values_list("pk", "version", "status"))
    report = locked_for(actor, report_id, Action.APPROVE, version=version)
    now = timezone.now()
    report.approved_by = actor
    report.approved_at = now
    apply(report, Action.APPROVE, actor=actor, now=now, fields=["approved_by", "approved_at"],
          audit="report.approve", step=Step.REVIEW)
    apply_set(parts, System.APPROVED, kind=Kind.PART, actor=actor, now=now, approved_by=actor, approved_at=now)
    # What the approval applies follows it, in the trail too: report.approve, then report.apply (both the
    # approver's), so a client reading the events in order sees the cause before its effect.
    report_content.apply_approval(report, actor=actor)
    facts_changed(plan_id=report.round.plan_id, task_ids=[report.task_id])  # today's stored light follows
    return report
