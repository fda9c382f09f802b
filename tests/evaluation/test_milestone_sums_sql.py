"""The SQL twin of the light's milestone sums (``evaluation.snapshot.milestone_sums``) agrees with the pure rule
(``evaluation.rules.lights.milestone_sums``) on the same table of cases, and so do the lights read from either.

Runs on whichever database the suite runs on (SQLite locally, PostgreSQL in CI). A weight of zero cannot be stored
(``milestone_weight_positive``), so the lightest case is a weight of 0.01; fractional weights check that the sums
come back exact (0.1 + 0.2 is not 0.3 in floating point)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.rules import MilestoneFacts, TaskFacts, task_light
from evaluation.rules.lights import milestone_sums
from evaluation.snapshot import milestone_sums as milestone_sums_sql
from evaluation.snapshot import task_facts
from tasks.models import Milestone
from tests.factories import make_milestone, make_plan, make_task

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 6, 30)
DAY = timedelta(days=1)

# Each case: one task's milestones as (title, due, weight, done on).
CASES = {
    "no milestones": [],
    "due exactly on as_of, not done: due, not late": [
        ("验收", AS_OF, "40", None),
        ("开工", AS_OF - 9 * DAY, "60", AS_OF),
    ],
    "done on as_of: done": [("验收", AS_OF - 3 * DAY, "50", AS_OF), ("投产", AS_OF + 90 * DAY, "50", None)],
    "done after as_of: not done, and late": [("备案", AS_OF - 12 * DAY, "30", AS_OF + DAY)],
    "done after as_of, due after it": [("竣工", AS_OF + 5 * DAY, "30", AS_OF + 6 * DAY)],
    "done early, due later: done, not due": [
        ("提前", AS_OF + 60 * DAY, "50", AS_OF - DAY),
        ("后续", AS_OF + 61 * DAY, "50", None),
    ],
    "not done and overdue, the oldest counts": [
        ("主体开工", AS_OF - 40 * DAY, "30", AS_OF - 41 * DAY),
        ("完成备案", AS_OF - 20 * DAY, "30", None),
        ("设备进场", AS_OF - 10 * DAY, "40", None),
    ],
    "two overdue on the same day: the title decides, by code point": [
        ("b 乙", AS_OF - 8 * DAY, "1", None),
        ("B 甲", AS_OF - 8 * DAY, "1", None),
        ("a 丙", AS_OF - 8 * DAY, "1", None),
        ("早已完成", AS_OF - 30 * DAY, "1", AS_OF - 30 * DAY),
    ],
    "fractional and tiny weights": [
        ("一", AS_OF - 2 * DAY, "0.1", AS_OF - 2 * DAY),
        ("二", AS_OF - DAY, "0.2", AS_OF - DAY),
        ("三", AS_OF + DAY, "0.01", None),
        ("四", AS_OF + 2 * DAY, "33.33", None),
    ],
    "nothing due yet": [("年底", date(2025, 12, 31), "100", None)],
}  # fmt: skip


@pytest.fixture
def tasks():
    plan = make_plan("twin")
    by_case = {}
    for n, (case, milestones) in enumerate(CASES.items()):
        task = make_task(plan, f"1.{n}")
        for m, (title, due, weight, done_on) in enumerate(milestones):
            make_milestone(task, f"m{m}", due, weight=weight, title=title,
                           status=Milestone.Status.DONE if done_on else Milestone.Status.PENDING,
                           completed_date=done_on)  # fmt: skip
        by_case[case] = task
    return plan, by_case


def pure(case: str) -> tuple[MilestoneFacts, ...]:
    return tuple(MilestoneFacts(title, due, Decimal(weight), done_on) for title, due, weight, done_on in CASES[case])


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF - DAY, AS_OF + DAY])
def test_the_sql_twin_and_the_rule_agree_on_every_case(tasks, as_of):
    plan, by_case = tasks
    with CaptureQueriesContext(connection) as queries:
        twin = milestone_sums_sql(Milestone.objects.filter(task__plan=plan), as_of)
    assert len(queries) == 2
    for case, task in by_case.items():
        expected = milestone_sums(pure(case), as_of)
        if not CASES[case]:
            assert task.pk not in twin, case  # no row: task_facts gives it empty sums
            continue
        assert twin[task.pk] == expected, case


def test_the_oldest_late_milestone_and_the_tie_on_its_title():
    sums = milestone_sums(pure("two overdue on the same day: the title decides, by code point"), AS_OF)
    assert sums.oldest_late == (AS_OF - 8 * DAY, "B 甲")  # "B" < "a" < "b" by code point, whatever the collation
    assert milestone_sums(pure("not done and overdue, the oldest counts"), AS_OF).oldest_late == (
        AS_OF - 20 * DAY,
        "完成备案",
    )


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF - DAY, AS_OF + DAY])
def test_lights_from_the_database_equal_lights_from_the_milestones(tasks, as_of):
    plan, by_case = tasks
    facts = task_facts(plan_id=plan.pk, as_of=as_of)
    for case, task in by_case.items():
        from_rows = task_light(facts[task.pk], as_of)
        from_milestones = task_light(TaskFacts(milestones=pure(case)), as_of)
        assert from_rows == from_milestones, case
        assert str(from_rows.expected) == str(from_milestones.expected), case  # the same digits, not only the value


def test_sums_of_another_day_are_refused():
    facts = TaskFacts(sums=milestone_sums(pure("done on as_of: done"), AS_OF))
    with pytest.raises(ValueError, match="judged on"):
        task_light(facts, AS_OF + DAY)
