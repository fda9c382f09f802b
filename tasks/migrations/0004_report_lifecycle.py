import django.utils.timezone
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_inbox_keys(apps, schema_editor):
    """Existing reports get the round's due date, the task's sort key and the unit's order; their step started
    when they were last changed."""
    Report = apps.get_model("tasks", "Report")
    ReportingRound = apps.get_model("tasks", "ReportingRound")
    PlanTask = apps.get_model("tasks", "PlanTask")
    Unit = apps.get_model("units", "Unit")
    Report.objects.update(
        due_date=Subquery(ReportingRound.objects.filter(pk=OuterRef("round_id")).values("due_date")[:1]),
        task_sort_key=Subquery(PlanTask.objects.filter(pk=OuterRef("task_id")).values("sort_key")[:1]),
        unit_order=Subquery(Unit.objects.filter(pk=OuterRef("unit_id")).values("order")[:1]),
    )
    Report.objects.update(step_started_at=models.F("updated_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0003_ordering_indexes"),
        ("units", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="lead_sign_off",
            field=models.BooleanField(
                default=True, help_text="开启时，牵头单位汇总后须经本单位负责人审签再送督查审核",
                verbose_name="汇总报告需牵头单位负责人审签",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="step_started_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="进入当前环节时间"),
        ),
        migrations.AddField(
            model_name="report",
            name="due_date",
            field=models.DateField(null=True, verbose_name="报送截止日期"),
        ),
        migrations.AddField(
            model_name="report",
            name="task_sort_key",
            field=models.CharField(default="", editable=False, max_length=120),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="report",
            name="unit_order",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(copy_inbox_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="report",
            name="due_date",
            field=models.DateField(verbose_name="报送截止日期"),
        ),
        migrations.AlterField(
            model_name="report",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "填报中"), ("submitted", "待审签"), ("signed_off", "已审签"), ("waiting", "待汇总"),
                    ("consolidating", "汇总中"), ("lead_sign_off", "待牵头单位审签"), ("in_review", "待审核"),
                    ("approved", "已通过"),
                ],
                max_length=20, verbose_name="状态",
            ),
        ),
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["due_date", "task_sort_key", "unit_order", "id"],
                               name="report_inbox_order_idx"),
        ),
    ]
