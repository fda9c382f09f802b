"""Rule specs gain ``major_red_scope``: whose colour a red light on a major task caps ("lead": the task's lead unit;
"all": every unit with a part in it). Until now it was every unit's, so each stored spec without the key is written
out with what it was judged by:

- every evaluation's spec (its copy of the rules) gets "all": its published results keep explaining themselves
  exactly as they were computed;
- every rule set an evaluation was computed with gets "all" too: its next rounds are judged as its past ones were,
  until a supervisor saves a rule set that says otherwise;
- a rule set no evaluation has used yet (the default one on a new database, created by 0002 just before this runs)
  gets the new default, "lead": nothing was computed with it, so nothing changes its meaning.

Idempotent: a spec that has the key keeps it."""

from django.db import migrations

BEFORE = "all"  # what every result so far was computed with
DEFAULT = "lead"  # the code's default from now on (evaluation.rules.config.RuleSpec.major_red_scope)


def _fill(row, value: str) -> None:
    if isinstance(row.spec, dict) and "major_red_scope" not in row.spec:
        row.spec["major_red_scope"] = value
        row.save(update_fields=["spec"])


def fill_major_red_scope(apps, schema_editor):
    RuleSet = apps.get_model("evaluation", "RuleSet")
    Evaluation = apps.get_model("evaluation", "Evaluation")
    for evaluation in Evaluation.objects.all():
        _fill(evaluation, BEFORE)
    used = set(Evaluation.objects.values_list("rule_set_id", flat=True))
    for rule_set in RuleSet.objects.all():
        _fill(rule_set, BEFORE if rule_set.pk in used else DEFAULT)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0010_missed_window")]

    operations = [migrations.RunPython(fill_major_red_scope, migrations.RunPython.noop)]
