from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("报送流程")

    def ready(self) -> None:
        # The task page (a tasks template) shows the reports by round through tasks' panel registry: tasks
        # must not import workflow, nor load its template tags.
        from tasks.panels import register_panel
        from workflow.panels import TASK_REPORTS_TEMPLATE, task_reports_panel

        register_panel("task", template=TASK_REPORTS_TEMPLATE, context=task_reports_panel, order=100)
