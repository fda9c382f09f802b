from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("报送流程")

    def ready(self) -> None:
        # The task page (a tasks template) shows the reports by round through tasks' panel registry: tasks
        # must not import workflow, nor load its template tags.
        from tasks.panels import register_panel
        from workflow.panels import NEXT_STEPS_TEMPLATE, TASK_REPORTS_TEMPLATE, next_steps_panel, task_reports_panel

        register_panel("task", template=TASK_REPORTS_TEMPLATE, context=task_reports_panel, order=100)
        register_panel("home", template=NEXT_STEPS_TEMPLATE, context=next_steps_panel, order=100)
