"""The one path every status change of a report takes, and the lock and permission checks before it.

``lock_report`` takes the report's row lock (scoped to what the actor may see: 404 otherwise); ``authorize`` asks
``tasks.policy`` whether the actor may take the action now (403: not this actor's step, or one they may not take on
a report they did an earlier step of; 409: the actor's step, but the report is not there, or no longer); ``apply``
makes the move on the engine's state machine (``workflow.machine``, declared from ``tasks.lifecycle``), bumps the
version, records when the new step started, writes a status-only revision and (for human actions and the
opening of consolidation) an audit event, and tells the apps above that the report's step changed
(``tasks.signals.report_steps_changed``: notifications re-plan its reminders) — in the caller's transaction.
``complete_step`` completes the viewflow task a task report waits on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from tasks import lifecycle, policy
from tasks.audit import audit_record
from tasks.errors import Conflict, DutyConflict, NotFound
from tasks.lifecycle import Action, Kind
from tasks.models import Report, ReportRevision
from tasks.signals import steps_changed
from units.selectors import Scope, user_scope
from workflow.machine import ReportMachine

ACTIVE_FLOW_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def lock_report(actor: AbstractBaseUser, report_id: int) -> Report:
    """The report, row-locked, if the actor may see it (404 otherwise, never saying which). Loads the task (for
    the lead unit) and the round (due date, plan); ``lead_sign_off`` is the plan's setting."""
    try:
        return (
            policy.visible_reports(user=actor)
            .select_for_update(of=("self",), no_key=True)
            .select_related("task", "round")
            .annotate(lead_sign_off=F("round__plan__lead_sign_off"))
            .get(pk=report_id)
        )
    except Report.DoesNotExist:
        raise NotFound from None


def check_version(report: Report, version: int | None) -> None:
    if version is not None and int(version) != report.version:
        raise Conflict(_("报告已被他人修改（当前版本 %(current)s，你提交的是 %(sent)s），请刷新后再试。")
                       % {"current": report.version, "sent": version})


def conflict_of_status(report: Report) -> Conflict:
    return Conflict(_("报告当前状态为“%(status)s”，不能执行此操作。") % {"status": report.get_status_display()})


#: Why a step is refused to someone who did an earlier step of the same report (``tasks.policy.DUTY_CONFLICTS``).
DUTY_MESSAGES: dict[tuple[str, str], str] = {
    (Kind.PART, Action.SIGN_OFF): gettext_lazy("这份报告是你本人提交的，不能由你审签，请由本单位其他负责人审签。"),
    (Kind.TASK, Action.SIGN_OFF): gettext_lazy("汇总报告是你本人提交的，不能由你审签，请由牵头单位其他负责人审签。"),
    (Kind.TASK, Action.APPROVE): gettext_lazy(
        "你在本轮参与了这份报告的填报、审签或汇总，不能再审核它，请由其他督查人员审核。"),
    (Kind.TASK, Action.RETURN): gettext_lazy(
        "你在本轮参与了这份报告的填报、审签或汇总，不能再审核它，请由其他督查人员审核。"),
}


def authorize(scope: Scope, report: Report, action: str, *, task_report_status: str | None = None) -> None:
    """Raise unless the actor may take ``action`` on the report now.

    ``DutyConflict`` (403, ``conflict_of_duty``) when the action is the actor's but they did an earlier step of the
    same report in the round (segregation of duties, ``tasks.policy.DUTY_CONFLICTS``): whatever path the call takes
    (page, API, command), the same refusal.

    403 when the action is not this actor's at all (not theirs at the report's step, and at no step of a report
    of this kind); 409 when it would be theirs at another step (a second click, a step already passed). Editing
    is refused with 403 whenever it is not allowed: the report is no longer the actor's to change.
    """
    if policy.allowed(scope, report, action, task_report_status=task_report_status):
        if policy.duty_conflict(scope, report, action):
            raise DutyConflict(str(DUTY_MESSAGES[report.kind, action]))
        return
    if action == Action.EDIT:
        raise PermissionDenied(_("你无权执行此步骤。"))
    stage = lifecycle.stage(report.kind, report.status)
    if action in stage.moves and stage.actor is not None:
        if policy.is_actor(scope, stage.actor, report):
            raise conflict_of_status(report)
        raise PermissionDenied(_("你无权执行此步骤。"))
    for other in lifecycle.TABLE.values():
        if (other.kind == report.kind and action in other.moves and other.actor is not None
                and policy.is_actor(scope, other.actor, report)):
            raise conflict_of_status(report)
    raise PermissionDenied(_("你无权执行此步骤。"))


def locked_for(actor: AbstractBaseUser, report_id: int, action: str, *, version: int | None = None) -> Report:
    """The report row-locked (404 when not visible), at the ``version`` sent (409), and ``action`` allowed to the
    actor now (403/409): the opening of every report service."""
    report = lock_report(actor, report_id)
    check_version(report, version)
    authorize(user_scope(actor), report, action)
    return report


def apply(report: Report, move: str, *, actor: AbstractBaseUser | None, now: datetime | None = None,
          fields: Iterable[str] = (), audit: str = "", comment: str = "", after: dict[str, Any] | None = None,
          step: str = "") -> Report:
    """Move the report (an action or system move of the lifecycle table) and persist it with its trail.

    The caller holds the report's row lock. ``step`` names the viewflow step of a task report this move completes
    (``complete_step``). ``fields`` the caller changed are saved in the same UPDATE. The revision records the
    status only (content revisions are written by ``report_update``); the audit event (action ``audit``, when
    given) is written by ids, with before → after status.
    """
    before = report.status
    try:
        ReportMachine(report, lead_sign_off=getattr(report, "lead_sign_off", True)).move(move)
    except TransitionNotAllowed:
        raise conflict_of_status(report) from None
    if step:
        assert actor is not None
        complete_step(report, actor=actor, step=step)
        fields = [*fields, "flow_task_id"]
    now = now or timezone.now()
    report.version += 1
    report.step_started_at = now
    report.save(update_fields=[*fields, "status", "version", "step_started_at", "updated_at"])
    ReportRevision.objects.create(report_id=report.pk, version=report.version, action=move,
                                  data={"status": report.status}, by=actor)
    steps_changed(report_ids=[report.pk])
    if audit:
        # The lead unit, for the actor's own unit on the event (loaded by lock_report; no query for it here).
        lead_unit_id = report.task.lead_unit_id if Report.task.is_cached(report) else None
        audit_record(action=audit, obj=report, actor=actor, unit_id=report.unit_id, plan_id=report.round.plan_id,
                     task_id=report.task_id, lead_unit_id=lead_unit_id, before={"status": before},
                     after={"status": report.status, "version": report.version, **(after or {})}, comment=comment)
    return report


def apply_set(locked: list[tuple[int, int, str]], move: str, *, kind: str, actor: AbstractBaseUser | None,
              now: datetime, **values: Any) -> int:
    """``apply`` for many reports of one kind at once, set-based. ``locked`` are (id, version, status) of rows the
    caller has locked; only those in a status the table lets ``move`` leave are moved (one UPDATE), each with its
    status-only revision (one INSERT). No audit event: the caller's own event covers them. Returns how many."""
    sources = {status: stage.moves[move] for (k, status), stage in lifecycle.TABLE.items()
               if k == kind and move in stage.moves}
    targets = set(sources.values())
    assert len(targets) == 1, f"{move} must lead to one status from every source"
    target = targets.pop()
    moved = [(pk, version) for pk, version, status in locked if status in sources]
    Report.objects.filter(pk__in=[pk for pk, _version in moved]).update(
        status=target, version=F("version") + 1, step_started_at=now, updated_at=now, **values)
    ReportRevision.objects.bulk_create([
        ReportRevision(report_id=pk, version=version + 1, action=move, data={"status": target}, by=actor)
        for pk, version in moved
    ])
    steps_changed(report_ids=[pk for pk, _version in moved])
    return len(moved)


def complete_step(report: Report, *, actor: AbstractBaseUser, step: str) -> None:
    """Complete the viewflow task the task report waits on (``step`` names its node), then link the report to the
    step viewflow opens next (saved by the caller with the report, in ``flow_task_id``).

    No process lock: the caller holds the task report's row lock, which every path to the process takes first
    (see ``workflow.flows``). The report's new status travels on the process object for the flow's gateways.
    """
    assert report.kind == Kind.TASK
    try:
        task = FlowTask.objects.select_related("process").get(pk=report.flow_task_id)
    except FlowTask.DoesNotExist:
        raise Conflict(_("流程步骤不存在，请刷新。")) from None
    if task.flow_task.name != step or task.status not in ACTIVE_FLOW_STATUSES:
        raise Conflict(_("此步骤已处理，请刷新。"))
    activation = task.flow_task.activation_class(task)
    activation.process.report_status = report.status
    try:
        # Assigning the task to the actor is saved by the completion below, in the same UPDATE (viewflow's
        # assign() would write the row once more just before).
        task.owner = actor
        if task.status == STATUS.NEW:
            task.status = STATUS.ASSIGNED
        if task.status == STATUS.ASSIGNED:
            activation.start(None)
        activation.execute()
    except (TransitionNotAllowed, FlowLockFailed) as exc:
        raise Conflict(_("流程正忙或状态已变化，请稍后重试。")) from exc
    report.flow_task_id = getattr(activation.process, "next_task_id", report.flow_task_id)
