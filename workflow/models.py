"""The viewflow process of one task in one reporting round. Domain data lives in ``tasks.Report``."""

from __future__ import annotations

from viewflow.workflow.models import Process


class ReportProcess(Process):
    """Proxy over viewflow's Process; ``data["task_report"]`` is the id of the task's consolidated report."""

    class Meta:
        proxy = True
        verbose_name = "report process"

    @property
    def task_report_id(self) -> int:
        return int(self.data["task_report"])
