"""The 赛马比拼 round of one plan for one period, read top to bottom like the process diagram.

    start ─► compute ─► adjust ─► appeals ─► approval ─► decide ──approved──► publish ─► end
                          ▲                                 │
                          └────────── returned by a leader ◄┘

- ``compute``: a Celery job (``evaluation.jobs``) computes the draft; its first completion ends this step (an
  external event, hence ``Handle``). Later recomputations (an adjustment, a rating, an upheld appeal) happen inside
  ``adjust`` or ``appeals`` and move nothing.
- ``adjust``: supervisors add bonus and deduction items and rubric ratings; one of them opens the appeal window.
- ``appeals``: each unit reads its own draft and may appeal; a supervisor answers every appeal and, once the window
  is over, sends the draft to leadership.
- ``approval``: a leader approves, or returns it to the supervisors with a reason (back to ``adjust``).
- ``publish``: a supervisor publishes (晾晒); the result is frozen from then on.

The evaluation's ``status`` is the one state table the pages, the API and the selectors read; the process is the
route and its history (who completed which step, when). ``evaluation.services`` moves both in one transaction, and
checks who may act on each step itself (viewflow does not when our code drives it): adjust, appeals and publish —
a supervisor; approval — a leader.

Locking: every path that advances the process first locks the evaluation's row (``select_for_update``), so that
lock already serialises all work on the process; viewflow's own lock would only add a second lock, hence
``no_lock``. The steps use viewflow's own nodes (``View`` and an ``If`` gateway): a round runs a few times a quarter,
so the gateway's extra task row costs nothing worth a custom node (``workflow.nodes.DecisionView`` is the reporting
flow's, which this app may not import).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation

from evaluation.models import Evaluation, EvaluationProcess


def step_page(request: HttpRequest, **kwargs) -> HttpResponse:
    """Viewflow's node view slot: viewflow's UI is never mounted; a stray visitor goes home."""
    return redirect("/")


class EvaluationFlow(flow.Flow):
    """One process per evaluation (plan × period × version); ``process.data["evaluation"]`` names it."""

    process_class = EvaluationProcess
    lock_impl = lock.no_lock
    process_title = "赛马比拼"

    # Started by evaluation.services.evaluation_start with the new evaluation.
    start = flow.StartHandle(this.start_process).Next(this.compute)

    # The draft is computed by a job; its first completion opens the adjustments.
    compute = flow.Handle().Next(this.adjust)

    # Supervisors adjust and rate, then open the appeal window.
    adjust = flow.View(step_page).Next(this.appeals)

    # Units appeal, supervisors reply; a supervisor sends the draft to leadership.
    appeals = flow.View(step_page).Next(this.approval)

    # A leader approves or returns (the service puts the evaluation's new status on the process for ``decide``).
    approval = flow.View(step_page).Next(this.decide)
    decide = flow.If(this.approved).Then(this.publish).Else(this.adjust)

    # A supervisor publishes.
    publish = flow.View(step_page).Next(this.end)

    end = flow.End()

    def start_process(self, activation: Activation, *, evaluation: Evaluation) -> EvaluationProcess:
        activation.process.data = {"evaluation": evaluation.pk}
        return activation.process

    def approved(self, activation: Activation) -> bool:
        status = getattr(activation.process, "evaluation_status", None)
        if status is None:  # driven without the services (never in the product): read it
            status = Evaluation.objects.values_list("status", flat=True).get(pk=activation.process.evaluation_id)
        return status == Evaluation.Status.APPROVED
