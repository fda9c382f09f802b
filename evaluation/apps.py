from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"
    verbose_name = _("赛马比拼")

    def ready(self) -> None:
        # The task and unit pages (tasks templates) show lights and scores through tasks' panel registry: tasks
        # must not import evaluation.
        from evaluation.panels import TASK_LIGHT_TEMPLATE, UNIT_SCORES_TEMPLATE, task_light_panel, unit_scores_panel
        from tasks.panels import register_panel

        register_panel("task", template=TASK_LIGHT_TEMPLATE, context=task_light_panel, order=50)
        register_panel("unit", template=UNIT_SCORES_TEMPLATE, context=unit_scores_panel, order=50)
