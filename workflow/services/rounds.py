"""Reporting rounds: opening one (supervisors), and the job that starts one process per reportable task.

Opening is enqueued on commit and runs in idempotent chunks; each chunk inserts its reports and its viewflow
processes and tasks in bulk (``open_tasks``), a handful of statements for a hundred tasks, instead of driving
``ReportFlow.start`` once per task (``open_task``, kept as the reference the bulk path is tested against).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from tasks.audit import audit_record
from tasks.lifecycle import Kind, Status
from tasks.models import Plan, PlanTask, Report, ReportingRound
from tasks.periods import parse_period
from units.selectors import user_scope
from workflow.flows import ReportFlow
from workflow.services.content import carry_over


def reportable_tasks(plan: Plan) -> QuerySet[PlanTask]:
    """Tasks that report in a round: leaves of the tree with a lead unit, not yet done."""
    return (PlanTask.objects.filter(plan=plan, lead_unit__isnull=False, children__isnull=True)
            .exclude(status=PlanTask.Status.DONE).order_by("sort_key"))


def round_open(*, actor: AbstractBaseUser, plan: Plan, period: str, due_date: date) -> tuple[ReportingRound, bool]:
    """Open a reporting round (supervisors only). Idempotent, and one winner when two open it at once: opening the
    same plan and period again returns the existing round and starts nothing. The processes are started by a
    Celery job after commit."""
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
    with transaction.atomic():
        existing = ReportingRound.objects.filter(plan=plan, period=parsed.code).first()
        if existing is not None:
            return existing, False
        try:
            # The unique (plan, period) constraint decides a race: the loser's insert fails in its savepoint.
            with transaction.atomic():
                round_ = ReportingRound.objects.create(
                    plan=plan, period=parsed.code, period_start=parsed.start, period_end=parsed.end,
                    due_date=due_date, opened_by=actor, tasks_total=reportable_tasks(plan).count(),
                )
        except IntegrityError:
            return ReportingRound.objects.get(plan=plan, period=parsed.code), False
        audit_record(action="round.open", obj=round_, actor=actor, plan=plan,
                     after={"period": round_.period, "due_date": due_date, "tasks": round_.tasks_total})
        from workflow.jobs import round_open_job

        transaction.on_commit(lambda: round_open_job.delay(round_.pk))
        return round_, True


def round_open_run(*, round_id: int, chunk: int = 100) -> ReportingRound:
    """Start one process per reportable task of the round, in short transactions of ``chunk`` tasks.

    Idempotent and safe to run twice at once: each chunk locks the round row, and a task that already has its
    report in the round is skipped.
    """
    while True:
        with transaction.atomic():
            round_ = ReportingRound.objects.select_for_update().select_related("plan").get(pk=round_id)
            if round_.status != ReportingRound.Status.OPENING:
                return round_
            done = Report.objects.filter(round=round_, kind=Kind.TASK)
            opened = done.count()
            # Only this chunk's tasks are loaded: the remaining ones are picked by the database.
            batch = list(reportable_tasks(round_.plan).exclude(pk__in=done.values("task_id"))
                         .select_related("lead_unit").prefetch_related("task_units__unit")[:chunk])
            open_tasks(round_=round_, tasks=batch)
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


def _reports_of(round_: ReportingRound, task: PlanTask, now: datetime) -> tuple[Report, list[Report]]:
    """The task's consolidated report (unsaved) and a part per responsible unit (the lead alone if none)."""
    task_report = Report(round=round_, task=task, unit=task.lead_unit, kind=Kind.TASK, status=Status.WAITING,
                         due_date=round_.due_date, task_sort_key=task.sort_key, unit_order=task.lead_unit.order,
                         step_started_at=now)
    links = sorted(task.task_units.all(), key=lambda link: (link.order, link.pk))
    units = [link.unit for link in links] or [task.lead_unit]
    parts = [Report(round=round_, task=task, unit=unit, kind=Kind.PART, status=Status.DRAFT,
                    due_date=round_.due_date, task_sort_key=task.sort_key, unit_order=unit.order,
                    step_started_at=now)
             for unit in units]
    return task_report, parts


def open_tasks(*, round_: ReportingRound, tasks: Sequence[PlanTask]) -> list[Report]:
    """Open the round for ``tasks`` (with ``lead_unit`` and ``task_units__unit`` loaded), in bulk: the task reports,
    one ``ReportFlow`` process each with its finished start task and its open ``consolidate`` task (the rows
    ``ReportFlow.start.run`` writes, ``open_task``; viewflow's start signals are not sent — nothing listens),
    then the parts, carried over from the last approved ones. A few statements for the whole batch."""
    if not tasks:
        return []
    now = timezone.now()
    drafted = [_reports_of(round_, task, now) for task in tasks]
    task_reports = Report.objects.bulk_create([task_report for task_report, _parts in drafted])
    processes = Process.objects.bulk_create([
        Process(flow_class=ReportFlow, status=PROCESS.NEW, created=now, data={"task_report": task_report.pk})
        for task_report in task_reports
    ])
    token = Token("start")
    starts = FlowTask.objects.bulk_create([
        FlowTask(process=process, flow_task=ReportFlow.start, flow_task_type=ReportFlow.start.task_type,
                 status=STATUS.DONE, created=now, started=now, finished=now, token=token, data={})
        for process in processes
    ])
    steps = FlowTask.objects.bulk_create([
        FlowTask(process=process, flow_task=ReportFlow.consolidate,
                 flow_task_type=ReportFlow.consolidate.task_type, status=STATUS.NEW, created=now, token=token,
                 data={})
        for process in processes
    ])
    link = FlowTask.previous.through
    link.objects.bulk_create([link(from_task_id=step.pk, to_task_id=start.pk)
                              for start, step in zip(starts, steps, strict=True)])
    for task_report, step in zip(task_reports, steps, strict=True):
        task_report.flow_task_id = step.pk
    Report.objects.bulk_update(task_reports, ["flow_task_id"])
    parts = []
    for (_draft, task_parts), saved in zip(drafted, task_reports, strict=True):
        for part in task_parts:
            part.task_report = saved
            parts.append(part)
    parts = Report.objects.bulk_create(parts)
    carry_over(parts)
    return task_reports


def open_task(*, round_: ReportingRound, task: PlanTask) -> Report:
    """Open the round for one task by driving ``ReportFlow.start`` (the reference for ``open_tasks``)."""
    now = timezone.now()
    task_report, parts = _reports_of(round_, task, now)
    task_report.save()
    for part in parts:
        part.task_report = task_report
    carry_over(Report.objects.bulk_create(parts))
    process = ReportFlow.start.run(task_report=task_report)
    task_report.flow_task_id = process.next_task_id
    task_report.save(update_fields=["flow_task_id"])
    return task_report
