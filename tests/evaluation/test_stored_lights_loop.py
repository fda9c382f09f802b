"""Today's stored lights follow the reporting loop: an approval made through the real services refreshes the
approved task's stored light once it commits (``tasks.signals.task_facts_changed`` → ``evaluation.lights``)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from evaluation.lights import plan_lights_store
from evaluation.models import StoredLight
from tests.workflow.conftest import fill_and_sign
from workflow import services

pytestmark = pytest.mark.django_db
DAY = date(2025, 10, 8)


@time_machine.travel("2025-10-08 10:00 +0800")
def test_an_approval_refreshes_todays_stored_light_of_its_task(world, django_capture_on_commit_callbacks):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw", percent_complete="100",
                  indicator_values=[{"indicator": world.indicator.pk, "value": "14.5"}],
                  milestone_claims=[{"milestone": world.milestone.pk, "completed_date": "2025-09-28",
                                     "evidence": "验收报告"}])  # fmt: skip
    fill_and_sign(world, round_, "kjj", percent_complete="60")
    task_report = world.task_report(round_)
    services.report_submit(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    plan_lights_store(plan_id=world.plan.pk, as_of=DAY)
    before = StoredLight.objects.get(task=task_report.task_id, as_of=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_approve(actor=world["sam"], report_id=task_report.pk)
    after = StoredLight.objects.get(task=task_report.task_id, as_of=DAY)
    assert after.actual > before.actual  # the claimed milestone counts once approved
    assert after.pk != before.pk  # rewritten, not left as it was
