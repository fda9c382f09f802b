"""The models of ``tasks``: the register (``register``) and the reports of the reporting loop (``reports``)."""

from tasks.models.register import (
    DECIMAL,
    AuditEvent,
    Indicator,
    IndicatorTarget,
    Milestone,
    Plan,
    PlanTask,
    TaskUnit,
)
from tasks.models.reports import (
    IndicatorClaim,
    IndicatorValue,
    MilestoneClaim,
    Report,
    ReportAttachment,
    ReportingRound,
    ReportRevision,
    attachment_path,
)

__all__ = [
    "DECIMAL",
    "AuditEvent",
    "Indicator",
    "IndicatorClaim",
    "IndicatorTarget",
    "IndicatorValue",
    "Milestone",
    "MilestoneClaim",
    "Plan",
    "PlanTask",
    "Report",
    "ReportAttachment",
    "ReportRevision",
    "ReportingRound",
    "TaskUnit",
    "attachment_path",
]
