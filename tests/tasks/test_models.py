"""The register's rules hold in the database itself, not only in forms and services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tasks.codes import code_sort_key, is_valid_code, parent_code
from tasks.models import IndicatorTarget, Milestone, PlanTask, TaskUnit
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db


def _violates(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_task_codes_are_unique_within_a_plan_but_not_across_plans():
    first, second = make_plan(), make_plan()
    make_task(first, "1")
    assert _violates(lambda: make_task(first, "1"))
    assert not _violates(lambda: make_task(second, "1"))


def test_a_task_cannot_be_due_before_it_starts():
    plan = make_plan()
    assert _violates(lambda: make_task(plan, "1", start_date=date(2025, 1, 1), due_date=date(2024, 12, 31)))


def test_a_done_task_needs_a_completion_date_and_only_a_done_one_has_it():
    plan = make_plan()
    assert _violates(lambda: make_task(plan, "1", status=PlanTask.Status.DONE))
    assert _violates(lambda: make_task(plan, "2", completed_date=date(2025, 1, 1)))
    assert not _violates(lambda: make_task(plan, "3", status=PlanTask.Status.DONE, completed_date=date(2025, 1, 1)))


def test_a_unit_is_responsible_for_a_task_at_most_once():
    task = make_task(make_plan(), "1", responsible=("市发展改革委",))
    assert _violates(lambda: TaskUnit.objects.create(task=task, unit=Unit.objects.get(short_name="市发展改革委")))


def test_milestone_weight_must_be_positive_and_codes_unique_per_task():
    task = make_task(make_plan(), "1")
    assert _violates(lambda: make_milestone(task, "a", date(2025, 12, 31), weight="0"))
    assert _violates(lambda: make_milestone(task, "b", date(2025, 12, 31), weight="-5"))
    make_milestone(task, "c", date(2025, 12, 31))
    assert _violates(lambda: make_milestone(task, "c", date(2026, 12, 31)))


def test_a_done_milestone_needs_its_completion_date():
    task = make_task(make_plan(), "1")
    assert _violates(lambda: make_milestone(task, "a", date(2025, 12, 31), status=Milestone.Status.DONE))
    milestone = make_milestone(
        task, "b", date(2025, 12, 31), status=Milestone.Status.DONE, completed_date=date(2025, 11, 1)
    )
    assert milestone.status == Milestone.Status.DONE


def test_a_moved_milestone_knows_its_original_date():
    task = make_task(make_plan(), "1")
    moved = make_milestone(task, "a", date(2026, 6, 30), original_due_date=date(2025, 12, 31))
    kept = make_milestone(task, "b", date(2025, 12, 31))
    assert moved.moved and not kept.moved


def test_indicator_rules():
    task = make_task(make_plan(), "1", kind=PlanTask.Kind.INDICATOR)
    assert _violates(lambda: make_indicator(task, "I1", baseline_year=2027, target_year=2022))
    assert _violates(lambda: make_indicator(task, "I2", baseline_value=Decimal("5"), target_value=Decimal("5")))
    indicator = make_indicator(task, "I3", interim={2024: "12"})
    assert _violates(lambda: make_indicator(task, "I3"))
    assert _violates(lambda: IndicatorTarget.objects.create(indicator=indicator, year=2024, value=Decimal("13")))


def test_the_plan_period_is_ordered():
    assert _violates(lambda: make_plan(start_date=date(2027, 1, 1), end_date=date(2023, 1, 1)))


def test_sort_key_and_depth_follow_the_code():
    plan = make_plan()
    for code in ["10", "2", "2.10", "2.9", "2.9.1"]:
        make_task(plan, code)
    assert list(PlanTask.objects.filter(plan=plan).values_list("code", flat=True)) == [
        "2",
        "2.9",
        "2.9.1",
        "2.10",
        "10",
    ]
    assert PlanTask.objects.get(plan=plan, code="2.9.1").depth == 2


def test_importance_weight_follows_the_domain_defaults():
    plan = make_plan()
    assert make_task(plan, "1", importance=PlanTask.Importance.MAJOR).importance_weight == Decimal("1.5")
    assert make_task(plan, "2").importance_weight == Decimal("1.0")


@pytest.mark.parametrize(
    ("code", "valid", "parent"),
    [
        ("1", True, None),
        ("3.2.1", True, "3.2"),
        ("A-1.2", True, "A-1"),
        ("", False, None),
        ("1..2", False, "1."),
        ("1 2", False, None),
    ],
)
def test_code_helpers(code, valid, parent):
    assert is_valid_code(code) is valid
    assert parent_code(code) == parent


def test_code_sort_key_orders_numbers_naturally():
    codes = ["10", "1", "1.10", "1.2", "B", "A"]
    assert sorted(codes, key=code_sort_key) == ["1", "1.2", "1.10", "10", "A", "B"]
