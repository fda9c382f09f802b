"""The chip colours of report statuses, shared by every page that shows a report's state: the task page's audit
trail (``tasks``) and the reporting pages (``workflow``). Pure; the five domain colours are for status chips only
(see static/css/luoshi.css)."""

from __future__ import annotations

from tasks.models import Report

S = Report.Status

# Done (approved) is blue as for tasks and milestones.
REPORT_STATUS_COLOURS = {
    S.DRAFT: "grey",
    S.SUBMITTED: "yellow",
    S.SIGNED_OFF: "green",
    S.WAITING: "grey",
    S.CONSOLIDATING: "yellow",
    S.LEAD_SIGN_OFF: "yellow",
    S.IN_REVIEW: "yellow",
    S.APPROVED: "blue",
}


def report_status_colour(status: str) -> str:
    """The chip colour of a report status; grey for one this table does not know."""
    return REPORT_STATUS_COLOURS.get(status, "grey")
