"""Every write of the reporting loop: rounds, reports, returns, approvals, attachments.

Contract of each public service: keyword-only (the acting user is ``actor=``), atomic, audited, and it checks the
acting user itself through ``tasks.policy`` (viewflow does not when our code drives it). Input arrives parsed
(``workflow.inputs``). Statuses change only through ``transitions.apply`` (the lifecycle table's moves on the
engine's state machine), which bumps the version, stamps ``step_started_at`` and writes the revision and audit.

Lock order, always: a part's row, then its task report's row, then (inside viewflow, for a task report's step)
the process's task rows. Several parts are locked in id order. No path locks a task report and then one of its
parts. Because every path to a process holds its task report's lock, ``ReportFlow`` takes no process lock of its
own (see ``workflow.flows``). Reports are locked ``no_key`` (FOR NO KEY UPDATE): nothing here changes a report's
id, and a row that only references a report — a reminder's message, which the sweep writes while it holds the
report's watch, the watch this transaction touches — must not wait for it (a plain FOR UPDATE there deadlocks).

Errors: ``NotFound`` (404: outside the actor's units, never say which), ``PermissionDenied`` (403: visible but not
this actor's step), ``Conflict`` (409: wrong state, stale version, second click), ``ValidationError`` (400, with
field errors).
"""

from workflow.inputs import ReportContent, as_int, report_content
from workflow.services.attachments import report_attach
from workflow.services.reports import report_approve, report_return, report_sign_off, report_submit, report_update
from workflow.services.rounds import (
    open_task,
    open_tasks,
    reportable_tasks,
    round_close,
    round_close_due,
    round_open,
    round_open_resume_stalled,
    round_open_run,
)

__all__ = [
    "ReportContent",
    "as_int",
    "open_task",
    "open_tasks",
    "report_approve",
    "report_attach",
    "report_content",
    "report_return",
    "report_sign_off",
    "report_submit",
    "report_update",
    "reportable_tasks",
    "round_close",
    "round_close_due",
    "round_open",
    "round_open_resume_stalled",
    "round_open_run",
]
