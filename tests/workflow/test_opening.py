"""Opening a round in bulk writes what viewflow's own start writes, in a constant number of statements.

``services.open_tasks`` inserts the reports and viewflow's processes and tasks a batch at a time, with ids drawn
first and plain INSERTs; ``services.open_task`` drives ``ReportFlow.start`` for one task. Pinned to django-viewflow
2.4.0: if an upgrade changes what a start writes, the first test says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Process
from viewflow.workflow.models import Task as FlowTask

from tasks.models import PlanTask, Report, ReportingRound
from tests.factories import make_task
from tests.support import submit_report
from tests.workflow.conftest import UNITS, World, fill_and_sign
from workflow import services
from workflow.flows import ReportFlow

PROCESS_FIELDS = ("flow_class", "status", "finished", "parent_task_id", "seed_object_id", "artifact_object_id")
TASK_FIELDS = ("flow_task", "flow_task_type", "status", "token", "owner_id", "owner_permission", "data",
               "seed_object_id", "artifact_object_id", "external_task_id", "scheduled", "assigned")


def _round(world: World) -> ReportingRound:
    return ReportingRound.objects.create(
        plan=world.plan, period="2025-Q3", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30),
        due_date=date(2025, 10, 10), opened_by=world["sam"], status=ReportingRound.Status.OPEN)


def _loaded(task: PlanTask) -> PlanTask:
    return PlanTask.objects.select_related("lead_unit").prefetch_related("task_units__unit").get(pk=task.pk)


def _rows(task_report: Report) -> dict[str, Any]:
    process = Process.objects.get(data__task_report=task_report.pk)
    tasks = list(FlowTask.objects.filter(process=process).order_by("pk"))
    return {
        "process": {field: getattr(process, field) for field in PROCESS_FIELDS},
        "data": process.data == {"task_report": task_report.pk},
        "tasks": [{field: getattr(task, field) for field in TASK_FIELDS} for task in tasks],
        "started": [task.started is not None for task in tasks],
        "finished": [task.finished is not None for task in tasks],
        "previous": [[prev.flow_task for prev in task.previous.all()] for task in tasks],
        "linked": task_report.flow_task_id == tasks[-1].pk,
    }


def test_bulk_opening_writes_the_rows_viewflows_start_writes(world: World) -> None:
    other = make_task(world.plan, "1.2", parent=world.task.parent, responsible=(UNITS["fgw"], UNITS["kjj"]))
    round_ = _round(world)
    by_viewflow = services.open_task(round_=round_, task=_loaded(world.task))
    [in_bulk] = services.open_tasks(round_=round_, tasks=[_loaded(other)])
    viewflow_rows, bulk_rows = _rows(Report.objects.get(pk=by_viewflow.pk)), _rows(Report.objects.get(pk=in_bulk))
    assert bulk_rows == viewflow_rows
    assert [t["flow_task"] for t in bulk_rows["tasks"]] == [ReportFlow.start, ReportFlow.consolidate]
    for task_report in (by_viewflow.pk, in_bulk):
        parts = Report.objects.filter(task_report_id=task_report)
        assert [(p.unit.short_name, p.status, p.due_date) for p in parts.order_by("unit_order")] == [
            (UNITS["fgw"], "draft", date(2025, 10, 10)), (UNITS["kjj"], "draft", date(2025, 10, 10))]


def test_a_bulk_opened_process_runs_to_approval_like_any_other(world: World) -> None:
    round_ = _round(world)
    services.open_tasks(round_=round_, tasks=[_loaded(world.task)])
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    process = Process.objects.get(data__task_report=task_report.pk)
    assert process.status == "DONE" and process.finished is not None
    assert list(FlowTask.objects.filter(process=process).order_by("pk").values_list("flow_task", flat=True)) == [
        ReportFlow.start, ReportFlow.consolidate, ReportFlow.lead_sign_off, ReportFlow.review, ReportFlow.end]


def test_opening_a_batch_costs_the_same_statements_whatever_its_size(world: World) -> None:
    tasks = [make_task(world.plan, f"1.{n}", parent=world.task.parent, responsible=(UNITS["fgw"], UNITS["kjj"]))
             for n in range(2, 42)]
    round_ = _round(world)

    def cost(batch: list[PlanTask]) -> int:
        loaded = [_loaded(task) for task in batch]
        with CaptureQueriesContext(connection) as queries:
            services.open_tasks(round_=round_, tasks=loaded)
        return len(queries)

    # Two reads of units, four draws of ids, six INSERTs (each one statement for all its rows), one carry-over, and
    # one upsert of the reports' reminder watches (notifications listens to tasks.signals.report_steps_changed).
    assert cost(tasks[:3]) == cost(tasks[3:40]) == 14
