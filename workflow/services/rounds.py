"""Reporting rounds: opening one (supervisors), and the job that starts one process per reportable task.

Opening is enqueued on commit and runs in idempotent chunks; each chunk inserts its reports and its viewflow
processes and tasks in bulk (``open_tasks``), a handful of statements for a hundred tasks, instead of driving
``ReportFlow.start`` once per task (``open_task``, kept as the reference the bulk path is tested against).

Opening is self-healing: a job that was never published (broker down at commit) or that died with its worker
leaves the round ``opening`` with ``open_progress_at`` standing still; the beat's sweep
(``round_open_resume_stalled``) publishes it again, and asking to open the same round again does too. A resumed
job and a late original never process a task twice: each chunk locks the round's row and picks only tasks without
a report in the round, and the unique (round, task, unit, kind) constraint on reports rolls back any chunk that
would write a second one, its viewflow rows with it (they are inserted in the same transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

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

from tasks import policy
from tasks.audit import audit_record
from tasks.bulk import insert, next_ids, prepared
from tasks.errors import Conflict, NotFound
from tasks.lifecycle import Kind, Status
from tasks.models import Plan, PlanTask, Report, ReportingRound, TaskUnit
from tasks.periods import parse_period
from tasks.queueing import publish
from tasks.signals import facts_changed, steps_changed
from tasks.workdays import add_working_days
from units.models import Unit
from units.selectors import user_scope
from workflow.flows import ReportFlow
from workflow.services.content import carry_over

_LINK = FlowTask.previous.through
logger = logging.getLogger(__name__)
ROUND_DUE_SLACK = timedelta(days=366)  # a round is due at most a year after its period ends


def reportable_tasks(plan: Plan) -> QuerySet[PlanTask]:
    """Tasks that report in a round: leaves of the tree with a lead unit, not yet done."""
    return (PlanTask.objects.filter(plan=plan, lead_unit__isnull=False, children__isnull=True)
            .exclude(status=PlanTask.Status.DONE).order_by("sort_key"))


def round_open(*, actor: AbstractBaseUser, plan: Plan, period: str, due_date: date,
               illustrative: bool = False) -> tuple[ReportingRound, bool]:
    """Open a reporting round (supervisors only). Idempotent, and one winner when two open it at once: opening the
    same plan and period again returns the existing round and creates nothing. The processes are started by a
    Celery job after commit; if the round is still ``opening`` when asked again, its job is published again (a
    stuck round is resumed by asking). A broker that is down does not fail the call: the round stays ``opening``
    and the sweep resumes it. ``illustrative``: a round of the demo's generated history (shown as 示例)."""
    if not policy.may_open_rounds(user_scope(actor)):
        raise PermissionDenied(_("只有督查专班可以开启报送轮次。"))
    try:
        parsed = parse_period(period)
    except ValueError:
        message = _("期次格式应为 2025-Q3 或 2025-07，收到“%(value)s”。") % {"value": period}
        raise ValidationError({"period": [message]}) from None
    if plan.status != Plan.Status.ACTIVE:
        raise ValidationError({"plan": [_("只有实施中的方案可以开启报送。")]})
    if parsed.end < plan.start_date or parsed.start > plan.end_date:
        message = _("期次应在方案期内（%(start)s 至 %(end)s），收到“%(value)s”。") % {
            "start": plan.start_date.isoformat(), "end": plan.end_date.isoformat(), "value": parsed.code}
        raise ValidationError({"period": [message]})
    if due_date < parsed.start:
        raise ValidationError({"due_date": [_("截止日期不能早于期初。")]})
    if due_date > parsed.end + ROUND_DUE_SLACK:
        message = _("截止日期应在期初 %(start)s 至期末后一年 %(end)s 之间。") % {
            "start": parsed.start.isoformat(), "end": (parsed.end + ROUND_DUE_SLACK).isoformat()}
        raise ValidationError({"due_date": [message]})
    with transaction.atomic():
        existing = ReportingRound.objects.filter(plan=plan, period=parsed.code).first()
        if existing is not None:
            if existing.status == ReportingRound.Status.OPENING:
                transaction.on_commit(lambda: _enqueue_opening(existing.pk))
            return existing, False
        try:
            # The unique (plan, period) constraint decides a race: the loser's insert fails in its savepoint.
            with transaction.atomic():
                round_ = ReportingRound.objects.create(
                    plan=plan, period=parsed.code, period_start=parsed.start, period_end=parsed.end,
                    due_date=due_date, opened_by=actor, tasks_total=reportable_tasks(plan).count(),
                    illustrative=illustrative,
                )
        except IntegrityError:
            return ReportingRound.objects.get(plan=plan, period=parsed.code), False
        audit_record(action="round.open", obj=round_, actor=actor, plan=plan,
                     after={"period": round_.period, "due_date": due_date, "tasks": round_.tasks_total})
        transaction.on_commit(lambda: _enqueue_opening(round_.pk))
        return round_, True


def _enqueue_opening(round_id: int) -> None:
    """Publish the round's opening job. An unreachable broker is logged, not raised: the round stays ``opening``
    with its progress standing still, and ``round_open_resume_stalled`` publishes it again later."""
    from workflow.jobs import round_open_job

    publish(round_open_job, round_id, about=f"round {round_id} opening", recovery="the sweep will resume it")


def round_open_resume_stalled(*, now: datetime, stalled_for: timedelta) -> list[int]:
    """Publish again the opening job of every round still ``opening`` whose progress has not moved for
    ``stalled_for`` (its job was lost: the broker was down at commit, or the worker died mid-job). Returns the
    rounds' ids. Called by the beat's sweep (``workflow.jobs.round_open_sweep_job``); idempotent.

    Each round is claimed by a conditional UPDATE of ``open_progress_at`` (on the value just read), so two sweeps
    at once publish it once, a round whose job is between chunks is left alone (the chunk moves the value first),
    and a round whose job waits in a busy queue is published at most once per ``stalled_for``. Publishing happens
    after the claim is committed (no network inside a transaction).
    """
    stalled = (ReportingRound.objects.filter(status=ReportingRound.Status.OPENING,
                                             open_progress_at__lt=now - stalled_for)
               .order_by("open_progress_at").values_list("pk", "open_progress_at"))
    resumed = []
    for round_id, seen in list(stalled):
        claimed = ReportingRound.objects.filter(pk=round_id, status=ReportingRound.Status.OPENING,
                                                open_progress_at=seen).update(open_progress_at=now)
        if claimed:
            logger.info("round %s: opening stalled since %s, queued again", round_id, seen.isoformat())
            _enqueue_opening(round_id)
            resumed.append(round_id)
    return resumed


def round_open_run(*, round_id: int, chunk: int = 100) -> ReportingRound:
    """Start one process per reportable task of the round, in short transactions of ``chunk`` tasks.

    Idempotent and safe to run twice at once: each chunk locks the round row, and a task that already has its
    report in the round is skipped.
    """
    while True:
        with transaction.atomic():
            # NO KEY UPDATE: excludes another opening job, but not the foreign-key checks of writes to its reports.
            round_ = (ReportingRound.objects.select_for_update(no_key=True, of=("self",)).select_related("plan")
                      .get(pk=round_id))
            if round_.status != ReportingRound.Status.OPENING:
                return round_
            done = Report.objects.filter(round=round_, kind=Kind.TASK)
            opened = done.count()
            # Only this chunk's tasks are loaded: the remaining ones are picked by the database.
            batch = list(reportable_tasks(round_.plan).exclude(pk__in=done.values("task_id"))
                         .only("pk", "sort_key", "lead_unit_id")[:chunk])
            open_tasks(round_=round_, tasks=batch)
            round_.tasks_opened = opened + len(batch)
            round_.tasks_total = max(round_.tasks_total, round_.tasks_opened)
            round_.open_progress_at = timezone.now()
            fields = ["tasks_opened", "tasks_total", "open_progress_at"]
            if len(batch) < chunk:
                # Nothing left: tasks closed since the round was created no longer count.
                round_.tasks_total = round_.tasks_opened
                round_.status = ReportingRound.Status.OPEN
                round_.open_finished_at = timezone.now()
                fields += ["status", "open_finished_at"]
            round_.save(update_fields=fields)
            if round_.status == ReportingRound.Status.OPEN:
                return round_


def _drafts(tasks: Sequence[PlanTask]) -> list[tuple[PlanTask, tuple[int, int], list[tuple[int, int]]]]:
    """Each task with its lead unit and its parts' units, as (unit id, unit order), in their listed order (the lead
    unit alone when it has no responsible units). Two queries for all the tasks."""
    links: dict[int, list[tuple[int, int]]] = {task.pk: [] for task in tasks}
    for task_id, unit_id, unit_order in (TaskUnit.objects.filter(task_id__in=links).order_by("task_id", "order", "pk")
                                         .values_list("task_id", "unit_id", "unit__order")):
        links[task_id].append((unit_id, unit_order))
    lead_order = dict(Unit.objects.filter(pk__in={task.lead_unit_id for task in tasks}).values_list("pk", "order"))
    drafted = []
    for task in tasks:
        lead = (task.lead_unit_id, lead_order[task.lead_unit_id])
        drafted.append((task, lead, links[task.pk] or [lead]))
    return drafted


def open_tasks(*, round_: ReportingRound, tasks: Sequence[PlanTask]) -> list[int]:
    """Open the round for ``tasks`` (only their id, sort key and lead unit are read), in bulk, and return the task
    reports' ids: one ``ReportFlow`` process per task with its finished start task and its open ``consolidate``
    task — the rows ``ReportFlow.start.run`` writes (``open_task``; viewflow's start signals are not sent: nothing
    listens) — the task reports linked to their step, and the parts, carried over from the last approved ones.

    Ids are drawn first, so each row is written once, by a plain INSERT of what differs from the defaults
    (``tasks.bulk``): a dozen statements for the whole batch, and no per-field work per row.
    """
    if not tasks:
        return []
    now = timezone.now()
    drafted = _drafts(tasks)
    n = len(drafted)
    report_ids = next_ids(Report, n + sum(len(units) for _task, _lead, units in drafted))
    task_report_ids, part_ids = report_ids[:n], iter(report_ids[n:])
    process_ids, task_ids, link_ids = next_ids(Process, n), next_ids(FlowTask, 2 * n), next_ids(_LINK, n)
    start_ids, step_ids = task_ids[:n], task_ids[n:]
    insert(Process, [{"id": pk, "data": prepared(Process, "data", {"task_report": report_id})}
                     for pk, report_id in zip(process_ids, task_report_ids, strict=True)],
           same={"flow_class": ReportFlow, "status": PROCESS.NEW, "created": now})
    token = Token("start")
    insert(FlowTask, [{"id": pk, "process_id": process} for pk, process in zip(start_ids, process_ids, strict=True)],
           same={"flow_task": ReportFlow.start, "flow_task_type": ReportFlow.start.task_type, "status": STATUS.DONE,
                 "created": now, "started": now, "finished": now, "token": token, "data": {}})
    insert(FlowTask, [{"id": pk, "process_id": process} for pk, process in zip(step_ids, process_ids, strict=True)],
           same={"flow_task": ReportFlow.consolidate, "flow_task_type": ReportFlow.consolidate.task_type,
                 "status": STATUS.NEW, "created": now, "token": token, "data": {}})
    insert(_LINK, [{"id": pk, "from_task_id": step, "to_task_id": start}
                   for pk, step, start in zip(link_ids, step_ids, start_ids, strict=True)])
    task_reports: list[dict] = []
    parts: list[dict] = []
    for (task, (lead_id, lead_order), units), pk, step in zip(drafted, task_report_ids, step_ids, strict=True):
        task_reports.append({"id": pk, "task_id": task.pk, "unit_id": lead_id, "kind": Kind.TASK,
                             "status": Status.WAITING, "task_sort_key": task.sort_key, "unit_order": lead_order,
                             "flow_task_id": step})
        parts += [{"id": next(part_ids), "task_id": task.pk, "unit_id": unit_id, "kind": Kind.PART,
                   "status": Status.DRAFT, "task_report_id": pk, "task_sort_key": task.sort_key,
                   "unit_order": unit_order} for unit_id, unit_order in units]
    same = {"round_id": round_.pk, "due_date": round_.due_date, "step_started_at": now, "updated_at": now}
    insert(Report, task_reports, same=same)
    insert(Report, parts, same=same)
    carry_over([(part["id"], part["task_id"], part["unit_id"]) for part in parts])
    steps_changed(report_ids=report_ids)  # the parts wait to be filled from now on
    return task_report_ids


def open_task(*, round_: ReportingRound, task: PlanTask) -> Report:
    """Open the round for one task by driving ``ReportFlow.start`` (the reference for ``open_tasks``)."""
    now = timezone.now()
    [(task, (lead_id, lead_order), units)] = _drafts([task])
    common = {"round": round_, "task": task, "due_date": round_.due_date, "task_sort_key": task.sort_key,
              "step_started_at": now}
    task_report = Report.objects.create(unit_id=lead_id, kind=Kind.TASK, status=Status.WAITING, unit_order=lead_order,
                                        **common)
    parts = Report.objects.bulk_create([
        Report(unit_id=unit_id, kind=Kind.PART, status=Status.DRAFT, task_report=task_report, unit_order=unit_order,
               **common) for unit_id, unit_order in units])
    carry_over([(part.pk, part.task_id, part.unit_id) for part in parts])
    steps_changed(report_ids=[task_report.pk, *(part.pk for part in parts)])
    process = ReportFlow.start.run(task_report=task_report)
    task_report.flow_task_id = process.next_task_id
    task_report.save(update_fields=["flow_task_id"])
    return task_report


def round_close(*, actor: AbstractBaseUser | None, round_id: int, now: datetime) -> ReportingRound:
    """Close an open round: a supervisor by hand, or the system (``actor=None``) once it is due plus the grace.

    Closing freezes nothing in flight (reports go on through their steps; a part submitted afterwards is late, as
    any part submitted after the due date is), but it records a fact per report, parts and task reports alike:
    ``missing_at_close`` = not submitted when the round closed. Scoring and the task lights read it.
    Locks the round row; a second close (or a close racing the sweep) finds it closed: 409. An opening round
    cannot close yet (409)."""
    if actor is not None and not policy.may_open_rounds(user_scope(actor)):
        raise PermissionDenied(_("只有督查专班可以结束报送轮次。"))
    with transaction.atomic():
        round_ = ReportingRound.objects.select_for_update(of=("self",), no_key=True).filter(pk=round_id).first()
        if round_ is None:
            raise NotFound
        if round_.status != ReportingRound.Status.OPEN:
            raise Conflict(_("这一轮是“%(status)s”，不能结束。") % {"status": round_.get_status_display()})
        reports = Report.objects.filter(round=round_)
        missing = reports.filter(submitted_at__isnull=True).update(missing_at_close=True)
        reports.filter(submitted_at__isnull=False).update(missing_at_close=False)
        round_.status, round_.closed_at, round_.closed_by = ReportingRound.Status.CLOSED, now, actor
        round_.save(update_fields=["status", "closed_at", "closed_by"])
        audit_record(action="round.close", obj=round_, actor=actor, plan_id=round_.plan_id,
                     before={"status": ReportingRound.Status.OPEN},
                     after={"status": ReportingRound.Status.CLOSED, "missing": missing})  # fmt: skip
        facts_changed(plan_id=round_.plan_id)  # missing_at_close: the task lights read it
    return round_


def round_close_due(*, today: date, grace_working_days: int, now: datetime) -> list[int]:
    """Close every open round whose due date plus ``grace_working_days`` working days (Chinese calendar) is past.
    Called by the beat (``workflow.jobs.round_close_sweep_job``); idempotent: a round closed meanwhile is skipped."""
    closed = []
    for round_id, due in ReportingRound.objects.filter(
        status=ReportingRound.Status.OPEN, due_date__lt=today
    ).values_list("pk", "due_date"):
        if add_working_days(due, grace_working_days) >= today:
            continue
        try:
            round_close(actor=None, round_id=round_id, now=now)
        except Conflict:
            continue
        closed.append(round_id)
    return closed
