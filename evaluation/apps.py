from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"
    verbose_name = _("赛马比拼")

    def ready(self) -> None:
        # tasks and workflow must not import evaluation: evaluation adds itself to their extension points — the task
        # and unit pages' panels, ?light= and ?as_of= on /api/tasks/, the facts-changed signal and the leadership's
        # weekly briefing (which notifications writes).
        from evaluation.api.filters import register
        from evaluation.briefing import lights_section, rounds_section
        from evaluation.lights import on_task_facts_changed
        from evaluation.panels import (
            HEADLINE_TEMPLATE,
            TASK_LIGHT_TEMPLATE,
            UNIT_SCORES_TEMPLATE,
            headline_panel,
            task_light_panel,
            unit_scores_panel,
        )
        from tasks.briefing import register_briefing_section
        from tasks.panels import register_panel
        from tasks.signals import task_facts_changed

        register_panel("task", template=TASK_LIGHT_TEMPLATE, context=task_light_panel, order=50)
        register_panel("unit", template=UNIT_SCORES_TEMPLATE, context=unit_scores_panel, order=50)
        register_panel("home", template=HEADLINE_TEMPLATE, context=headline_panel, order=50)
        register()
        task_facts_changed.connect(on_task_facts_changed, dispatch_uid="evaluation.lights")
        register_briefing_section("evaluation.rounds", rounds_section, order=10)
        register_briefing_section("evaluation.lights", lights_section, order=20)
