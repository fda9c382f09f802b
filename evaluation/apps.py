from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"
    verbose_name = _("赛马比拼")

    def ready(self) -> None:
        # tasks and workflow must not import evaluation: evaluation adds itself to their extension points.
        from evaluation.api.filters import register
        from evaluation.lights import on_task_facts_changed
        from tasks.signals import task_facts_changed

        register()  # ?light= and ?as_of= on /api/tasks/
        task_facts_changed.connect(on_task_facts_changed, dispatch_uid="evaluation.lights")
