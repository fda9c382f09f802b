"""The reporting flow of one task in one round (闭环管理), read top to bottom like the process diagram.

    start ─► split_parts ═► fill ─► sign_off ─► signed_off? ─yes─► join_parts ─► consolidate ─► consolidated?
             (a branch per  ▲                        │no (sent back inside the unit)              │
              unit's part)  └────────────────────────┘                                            │
    consolidated? ─to review─► review      ─part returned─► split_rework ═► fill …
    review ─► reviewed? ─approved─► approve (apply milestones and indicator values) ─► end
                        ─returned to the lead unit─► consolidate
                        ─one unit's part returned─► split_rework ═► fill …

Who may act on each human step is decided by ``workflow.services`` (viewflow does not enforce it
when our code drives the flow): fill — a reporter of the part's unit; sign_off — that unit's head;
consolidate — a reporter or head of the lead unit; review — a supervisor.
"""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Process

from tasks.models import Report
from workflow import services
from workflow.models import ReportProcess
from workflow.nodes import EachSplit
from workflow.views import step_page


class ReportFlow(flow.Flow):
    """One process per (round, task); ``process.data["task_report"]`` names the task's consolidated report."""

    process_class = ReportProcess
    # Wait for the process row instead of viewflow's default NOWAIT + retries: our services call the flow inside
    # their own transaction, and on PostgreSQL a failed NOWAIT aborts that transaction, so the retry could only
    # fail ("current transaction is aborted"). Waiting is safe: every path locks the report row first, then this.
    lock_impl = lock.SelectForUpdateLock(nowait=False)
    process_title = "进展报告"

    # Started by workflow.services.round_open_task with the consolidated report's id.
    start = flow.StartHandle(this.start_process).Next(this.split_parts)

    # One branch per part report (responsible unit); each branch carries {"report": id}.
    split_parts = EachSplit().Next(this.fill, data_source=this.parts_of_task)

    # A reporter of the unit fills its part (narrative, % complete, indicator values, milestone claims).
    fill = flow.View(step_page).onCreate(this.link_step).Next(this.sign_off, task_data=this.same_part)

    # The unit head signs the part off, or sends it back to the reporter inside the unit.
    sign_off = flow.View(step_page).onCreate(this.link_step).Next(this.signed_off, task_data=this.same_part)
    signed_off = (
        flow.If(this.part_is_signed_off).Then(this.join_parts).Else(this.fill, task_data=this.same_part)
    )

    # All parts signed off (or, after a return, the returned ones again).
    join_parts = flow.Join().Next(this.consolidate)

    # The lead unit reviews the parts and writes the task report, or returns one part to its unit.
    consolidate = flow.View(step_page).onCreate(this.link_step).Next(this.consolidated)
    consolidated = flow.Switch().Case(this.review, this.task_report_in_review).Default(this.split_rework)

    # A returned part goes back to its unit through a new branch of its own.
    split_rework = EachSplit().Next(this.fill, data_source=this.returned_parts)

    # A supervisor approves, returns to the lead unit, or returns one unit's part.
    review = flow.View(step_page).onCreate(this.link_step).Next(this.reviewed)
    reviewed = (
        flow.Switch()
        .Case(this.approve, this.task_report_approved)
        .Case(this.consolidate, this.task_report_consolidating)
        .Default(this.split_rework)
    )

    # Only approved work counts: apply milestone completions and indicator values, close the round item.
    approve = flow.Function(this.apply_approval).Next(this.end)
    end = flow.End()

    # --- node callbacks -------------------------------------------------------------------------

    def start_process(self, activation: Activation, *, task_report: Report) -> ReportProcess:
        activation.process.data = {"task_report": task_report.pk}
        return activation.process

    def parts_of_task(self, activation: Activation) -> list[dict]:
        return [{"report": pk} for pk in services.part_ids(task_report_id=activation.process.task_report_id)]

    def returned_parts(self, activation: Activation) -> list[dict]:
        return [{"report": pk} for pk in services.part_ids(
            task_report_id=activation.process.task_report_id, status=Report.Status.DRAFT)]

    def same_part(self, activation: Activation) -> dict:
        return {"report": activation.task.data["report"]}

    def link_step(self, activation: Activation) -> None:
        services.step_created(
            report_id=activation.task.data.get("report") or activation.process.task_report_id,
            step=activation.flow_task.name,
            flow_task_id=activation.task.pk,
        )

    def part_is_signed_off(self, activation: Activation) -> bool:
        return services.report_status(activation.task.data["report"]) == Report.Status.SIGNED_OFF

    def task_report_in_review(self, activation: Activation) -> bool:
        return services.report_status(activation.process.task_report_id) == Report.Status.IN_REVIEW

    def task_report_approved(self, activation: Activation) -> bool:
        return services.report_status(activation.process.task_report_id) == Report.Status.APPROVED

    def task_report_consolidating(self, activation: Activation) -> bool:
        return services.report_status(activation.process.task_report_id) == Report.Status.CONSOLIDATING

    def apply_approval(self, activation: Activation) -> None:
        services.approval_apply(task_report_id=activation.process.task_report_id)


class BareFlow(flow.Flow):
    """BENCHMARK BASELINE ONLY (bench/bench_workflow.py); no product code starts it.

    The floor of one human step in viewflow: start → one view task → end, driven headless through the same
    activation API and lock as ``ReportFlow``. It lives here because viewflow stores flows by reference to an
    installed app's module, so a flow defined in the bench module cannot be persisted.
    """

    process_title = "基准流程"
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_process).Next(this.step)
    step = flow.View(step_page).Next(this.end)
    end = flow.End()

    def start_process(self, activation: Activation) -> Process:
        return activation.process
