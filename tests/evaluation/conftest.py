"""Fixtures of the evaluation tests."""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.apps import apps

from tasks.models import Report
from tests.workflow.conftest import committed_units, fill_and_sign, world  # noqa: F401 - the reporting loop's fixtures
from workflow import services


@pytest.fixture(autouse=True)
def default_rule_set(request):
    """The default rule set the data migration writes (a transactional test elsewhere may have flushed it from a
    reused test database); its function is idempotent. Pure-rule tests need no database and skip this."""
    transactional = "transactional_db" in request.fixturenames  # e.g. a browser test against a live server
    if not transactional and "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    importlib.import_module("evaluation.migrations.0002_default_rule_set").create_default(apps, None)
    importlib.import_module("evaluation.migrations.0010_missed_window").fill_missed_window(apps, None)
    importlib.import_module("evaluation.migrations.0011_major_red_scope").fill_major_red_scope(apps, None)


@pytest.fixture
def approved_quarter(world):  # noqa: F811 - the fixture imported above
    """2025-Q3 of the world's task, approved: fgw claims the milestone (with evidence) and reports the indicator."""
    with time_machine.travel("2025-10-08 10:00 +0800"):
        round_ = world.open_round()
        fill_and_sign(world, round_, "fgw", percent_complete="100",
                      indicator_values=[{"indicator": world.indicator.pk, "value": "14.5"}],
                      milestone_claims=[{"milestone": world.milestone.pk, "completed_date": "2025-09-28",
                                         "evidence": "验收报告"}])  # fmt: skip
        fill_and_sign(world, round_, "kjj", percent_complete="60")
        task_report = world.task_report(round_)
        services.report_submit(actor=world["jxw-r"], report_id=task_report.pk)
        services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
        services.report_approve(actor=world["sam"], report_id=task_report.pk)
    assert set(Report.objects.filter(round=round_).values_list("status", flat=True)) == {"approved"}
    return round_
