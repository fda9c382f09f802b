"""The real Chongqing plan (tasks/data/cq-manufacturing-2023-2027.yaml) imports cleanly and is complete."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from tasks.demo import CHONGQING_PLAN_CODE, CHONGQING_PLAN_FILE
from tasks.importing.apply import plan_import
from tasks.models import Indicator, Milestone, Plan, PlanTask, TaskUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> Plan:
    plan_import(source=CHONGQING_PLAN_FILE)
    return Plan.objects.get(code=CHONGQING_PLAN_CODE)


def _leaves(plan: Plan) -> list[PlanTask]:
    return list(PlanTask.objects.filter(plan=plan, children__isnull=True).select_related("lead_unit"))


def test_plan_has_its_indicators_and_leaf_tasks(plan):
    assert Indicator.objects.filter(plan=plan).count() >= 22
    assert len(_leaves(plan)) >= 60


def test_every_leaf_task_has_a_lead_and_milestones_weighing_100(plan):
    weights: dict[int, Decimal] = defaultdict(Decimal)
    for task_id, weight in Milestone.objects.filter(task__plan=plan).values_list("task_id", "weight"):
        weights[task_id] += weight
    for task in _leaves(plan):
        assert task.lead_unit is not None, task.code
        assert task.milestones.exists(), task.code
        assert weights[task.pk] == 100, task.code
    assert set(weights) <= {task.pk for task in PlanTask.objects.filter(plan=plan)}
    assert all(total == 100 for total in weights.values())


def test_light_alloy_units_come_from_the_plan_text_and_all_others_are_illustrative(plan):
    alloy = PlanTask.objects.select_related("lead_unit").get(plan=plan, title="轻合金材料")
    responsible = set(TaskUnit.objects.filter(task=alloy).values_list("unit__short_name", flat=True))

    assert alloy.units_illustrative is False
    assert alloy.lead_unit.short_name == "市经济信息委"
    assert {"市发展改革委", "市科技局"} <= responsible
    with_units = PlanTask.objects.filter(plan=plan).exclude(pk=alloy.pk).exclude(lead_unit=None, task_units=None)
    assert with_units.exists()
    assert not with_units.filter(units_illustrative=False).exists()


def test_reimporting_the_plan_changes_nothing(plan):
    report = plan_import(source=CHONGQING_PLAN_FILE)

    assert report.total().created == 0 and report.total().updated == 0
    assert report.not_in_file == ()
