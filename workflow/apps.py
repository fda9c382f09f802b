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
        name_viewflow_in_chinese()


def name_viewflow_in_chinese() -> None:
    """viewflow's app and models, as the admin lists them, in Chinese: viewflow ships no zh-hans translation of
    these names. Only the names shown are changed: the models' ``original_attrs`` (what makemigrations reads)
    stay viewflow's, so no migration of viewflow follows."""
    from django.apps import apps
    from viewflow.workflow.models import Process, Task

    apps.get_app_config("viewflow").verbose_name = _("流程引擎")
    for model, name in ((Process, _("流程实例")), (Task, _("流程任务"))):
        model._meta.verbose_name = name
        model._meta.verbose_name_plural = name
