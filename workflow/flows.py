"""The reporting flow of one task in one round (闭环管理), read top to bottom like the process diagram.

    start ─► consolidate ──► lead_sign_off ──signed off──► review ──approved──► end
                ▲   └──(plan without it)──────────────────────►┘    │
                ├──────────── returned by the lead head ◄──────┘            │
                └──── returned to the lead unit, or a part returned to its unit ◄──┘

Each human step decides where the process goes next from the task report's new status (``DecisionView``: no
gateway task between steps).

The units' parts are not viewflow tasks: each part's fill → submit → sign-off cycle (and the returns inside the
unit or by the lead unit) is status changes of its row, declared as the engine's state machine in
``workflow.machine`` from the lifecycle table in ``tasks.lifecycle``. The task report waits in ``waiting`` while
its ``consolidate`` step is already open; the last part's sign-off moves it to ``consolidating``. Approval is
applied by the service that approves, with set-based statements.

Who may act on each step is decided by ``tasks.policy`` in ``workflow.services`` (viewflow does not enforce it
when our code drives the flow): consolidate — a reporter or head of the lead unit; lead_sign_off — the lead
unit's head; review — a supervisor.

Locking: every path that advances a process first locks the row of the process's one task report
(``select_for_update``), so that lock already serialises all work on the process; viewflow's own process lock
would only add a second lock and a re-read, hence ``no_lock``.
"""

from __future__ import annotations

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Process

from workflow import hooks
from workflow.models import ReportProcess
from workflow.nodes import DecisionView, step_page


class ReportFlow(flow.Flow):
    """One process per (round, task); ``process.data["task_report"]`` names the task's consolidated report."""

    process_class = ReportProcess
    lock_impl = lock.no_lock
    process_title = "进展报告"

    # Started by workflow.services.rounds (in bulk when a round opens) with the consolidated report.
    start = flow.StartHandle(hooks.start_process).Next(this.consolidate)

    # The lead unit consolidates its co-units' signed-off parts into the task report (or returns one part); it
    # goes to the lead unit head's sign-off, or straight to review when the plan has none.
    consolidate = (
        DecisionView(step_page).onCreate(hooks.link_step)
        .Case(this.lead_sign_off, hooks.awaits_lead_sign_off).Next(this.review)
    )

    # The lead unit's head signs the consolidated report off (审签), or returns it to the lead unit.
    lead_sign_off = DecisionView(step_page).onCreate(hooks.link_step).Case(this.review, hooks.in_review).Next(
        this.consolidate)

    # A supervisor approves, or returns to the lead unit or one unit's part (both reopen consolidation).
    review = DecisionView(step_page).onCreate(hooks.link_step).Case(this.end, hooks.approved).Next(this.consolidate)

    end = flow.End()


class BareFlow(flow.Flow):
    """BENCHMARK BASELINE ONLY (bench/bench_workflow.py); no product code starts it.

    The floor of one human step in viewflow: start → one view task → end, driven headless through viewflow's own
    activation API and process lock. It lives here because viewflow stores flows by reference to an installed
    app's module, so a flow defined in the bench module cannot be persisted.
    """

    process_title = "基准流程"
    lock_impl = lock.SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_process).Next(this.step)
    step = flow.View(step_page).Next(this.end)
    end = flow.End()

    def start_process(self, activation: Activation) -> Process:
        return activation.process
