from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("提醒与通知")

    def ready(self) -> None:
        # tasks and workflow must not import notifications: it listens to the register's signals, which both send
        # inside their writing transactions (a milestone moved or done, a report entering a new step).
        from notifications.receivers import on_report_steps_changed, on_task_facts_changed
        from notifications.selectors_notices import duban_counts
        from notifications.views_notices import missing_parts_panel, round_chase_panel
        from tasks.panels import register_panel
        from tasks.signals import report_steps_changed, task_facts_changed
        from tasks.supervision import register_duban_counter

        task_facts_changed.connect(on_task_facts_changed, dispatch_uid="notifications.milestones")
        report_steps_changed.connect(on_report_steps_changed, dispatch_uid="notifications.reports")

        # The report page's "missing parts" with the 催办 button (workflow's template places the "report" panels).
        register_panel("report", template="notifications/_missing_parts.html", context=missing_parts_panel, order=50)
        # The round page's units still owing parts, each with its 催办 button (supervisors).
        register_panel("round", template="notifications/_round_chase.html", context=round_chase_panel, order=50)

        # F3's "督办 replies on time" in the unit score (evaluation reads it through tasks.supervision).
        register_duban_counter(duban_counts)
