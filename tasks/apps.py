from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("任务台账")

    def ready(self) -> None:
        from django.core import checks

        from tasks.bulk import sqlite_new_enough

        checks.register(sqlite_new_enough, checks.Tags.compatibility)
