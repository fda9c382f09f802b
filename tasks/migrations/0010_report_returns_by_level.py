from collections import defaultdict

from django.db import migrations, models
from django.db.models import Count

# Each return's audit action → the counter of its level, as ``tasks.lifecycle.RETURN_LEVELS`` and
# ``RETURN_COUNTERS`` say today (copied: a migration must not change when that code does).
COUNTER_OF_ACTION = {
    "report.return_in_unit": "returns_in_unit",
    "report.return_by_lead_head": "returns_in_unit",
    "report.return_by_lead": "returns_by_lead",
    "report.return_by_supervisor": "returns_by_supervisor",
    "report.return_part_by_supervisor": "returns_by_supervisor",
}
COUNTERS = sorted(set(COUNTER_OF_ACTION.values()))
# Before the returns were named by level, a supervisor's return was one "report.return" on the task report; it went
# back to consolidation when the task report itself was returned (to "waiting" when one of its parts was, and that
# part has its own "report.return_by_supervisor").
LEGACY_ACTION = "report.return"


def backfill(apps, schema_editor):
    """Each report's returns by level, counted from its audit events (the record of every return)."""
    Report = apps.get_model("tasks", "Report")
    AuditEvent = apps.get_model("tasks", "AuditEvent")
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    events = (AuditEvent.objects.filter(object_type="report", action__in=list(COUNTER_OF_ACTION))
              .order_by().values_list("object_id", "action").annotate(n=Count("pk")))
    for object_id, action, n in events:
        counts[int(object_id)][COUNTER_OF_ACTION[action]] += n
    legacy = (AuditEvent.objects.filter(object_type="report", action=LEGACY_ACTION, after__status="consolidating")
              .order_by().values_list("object_id").annotate(n=Count("pk")))
    for object_id, n in legacy:
        counts[int(object_id)]["returns_by_supervisor"] += n
    ids = sorted(counts)
    for start in range(0, len(ids), 500):
        reports = list(Report.objects.filter(pk__in=ids[start:start + 500]).only("pk"))
        for report in reports:
            for field, n in counts[report.pk].items():
                setattr(report, field, n)
        Report.objects.bulk_update(reports, COUNTERS)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0009_round_close"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="returns_by_lead",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="牵头单位退回次数"),
        ),
        migrations.AddField(
            model_name="report",
            name="returns_by_supervisor",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="督查退回次数"),
        ),
        migrations.AddField(
            model_name="report",
            name="returns_in_unit",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="单位内退回次数"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
