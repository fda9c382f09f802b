"""Rule specs gain ``lights.missed_window`` (missed rounds are counted among the plan's last N rounds due). Stored
specs are written out in full: each one without the key gets the default, 4 — what reading it gave already, so no
light or result changes."""

from django.db import migrations

DEFAULT_WINDOW = 4


def fill_missed_window(apps, schema_editor):
    RuleSet = apps.get_model("evaluation", "RuleSet")
    for rule_set in RuleSet.objects.all():
        lights = rule_set.spec.get("lights") if isinstance(rule_set.spec, dict) else None
        if isinstance(lights, dict) and "missed_window" not in lights:
            lights["missed_window"] = DEFAULT_WINDOW
            rule_set.save(update_fields=["spec"])


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0009_evaluation_illustrative")]

    operations = [migrations.RunPython(fill_missed_window, migrations.RunPython.noop)]
