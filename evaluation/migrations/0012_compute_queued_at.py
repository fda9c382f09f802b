from django.db import migrations, models
from django.db.models import F


def queued_when_started(apps, schema_editor):
    """An evaluation still computing was queued when it was started: the sweep may resume it."""
    Evaluation = apps.get_model("evaluation", "Evaluation")
    Evaluation.objects.filter(status="computing", compute_queued_at__isnull=True).update(
        compute_queued_at=F("started_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("evaluation", "0011_major_red_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="compute_queued_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="计算排队时间"),
        ),
        migrations.RunPython(queued_when_started, migrations.RunPython.noop),
    ]
