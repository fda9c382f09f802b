"""The flow's callbacks: what viewflow calls while ``workflow.services`` drives ``ReportFlow``.

They never change a report's status (every status change goes through ``workflow.services.transitions``) and run
no query of their own: the service that completes a step puts the report's new status on the process object
(``report_status``) before it executes the step, the Switch gateways read it there, and the id of the step task
viewflow creates next is left on the process object (``next_task_id``) for the service to save with the report.
"""

from __future__ import annotations

from viewflow.workflow.activation import Activation

from tasks.lifecycle import Status
from tasks.models import Report
from workflow.models import ReportProcess


def start_process(activation: Activation, *, task_report: Report) -> ReportProcess:
    """Name the task report the process carries."""
    activation.process.data = {"task_report": task_report.pk}
    return activation.process


def link_step(activation: Activation) -> None:
    """A human step was created: remember its task id for the service that saves the report next."""
    activation.process.next_task_id = activation.task.pk


def _status(activation: Activation) -> str:
    status = getattr(activation.process, "report_status", None)
    if status is None:  # driven without the services (never in the product): read it
        status = Report.objects.values_list("status", flat=True).get(pk=activation.process.task_report_id)
    return status


def awaits_lead_sign_off(activation: Activation) -> bool:
    return _status(activation) == Status.LEAD_SIGN_OFF


def in_review(activation: Activation) -> bool:
    return _status(activation) == Status.IN_REVIEW


def approved(activation: Activation) -> bool:
    return _status(activation) == Status.APPROVED
