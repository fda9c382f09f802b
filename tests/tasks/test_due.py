"""The one due rule (tasks/due.py) on a table of cases, and its SQL twin (tasks/due_sql.py) proved to select
exactly the rows the pure function classifies the same way, on the same table."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Q
from django.utils import translation

from tasks.due import DUE_SOON_DAYS, Due, DueKey, classify_due
from tasks.due_sql import due_key, due_soon_q, due_today_q, overdue_q
from tasks.models import Milestone, PlanTask
from tasks.templatetags.luoshi import milestone_state
from tests.factories import make_milestone, make_plan, make_task
from workflow.templatetags.reporting import due_state

K = DueKey

# (case, due date, done, today, expected)
CASES: list[tuple[str, date | None, bool, date, Due]] = [
    ("yesterday", date(2025, 10, 9), False, date(2025, 10, 10), Due(K.OVERDUE, days_overdue=1)),
    ("a month ago", date(2025, 9, 10), False, date(2025, 10, 10), Due(K.OVERDUE, days_overdue=30)),
    ("today", date(2025, 10, 10), False, date(2025, 10, 10), Due(K.DUE_TODAY)),
    ("in 1 day", date(2025, 10, 11), False, date(2025, 10, 10), Due(K.DUE_SOON, days_left=1)),
    ("in 7 days", date(2025, 10, 17), False, date(2025, 10, 10), Due(K.DUE_SOON, days_left=7)),
    ("in 8 days", date(2025, 10, 18), False, date(2025, 10, 10), Due(K.LATER, days_left=8)),
    ("in 30 days", date(2025, 11, 9), False, date(2025, 10, 10), Due(K.LATER, days_left=30)),
    ("no date", None, False, date(2025, 10, 10), Due(K.NONE)),
    ("done yesterday", date(2025, 10, 9), True, date(2025, 10, 10), Due(K.DONE)),
    ("done today", date(2025, 10, 10), True, date(2025, 10, 10), Due(K.DONE)),
    ("done in 1 day", date(2025, 10, 11), True, date(2025, 10, 10), Due(K.DONE)),
    ("done without a date", None, True, date(2025, 10, 10), Due(K.DONE)),
    # across a month end (31 January, and February of a leap year)
    ("month end: yesterday", date(2025, 1, 30), False, date(2025, 1, 31), Due(K.OVERDUE, days_overdue=1)),
    ("month end: in 1 day", date(2025, 2, 1), False, date(2025, 1, 31), Due(K.DUE_SOON, days_left=1)),
    ("month end: in 7 days", date(2025, 2, 7), False, date(2025, 1, 31), Due(K.DUE_SOON, days_left=7)),
    ("month end: in 8 days", date(2025, 2, 8), False, date(2025, 1, 31), Due(K.LATER, days_left=8)),
    ("leap day: in 7 days", date(2024, 3, 7), False, date(2024, 2, 29), Due(K.DUE_SOON, days_left=7)),
    ("leap day: in 8 days", date(2024, 3, 8), False, date(2024, 2, 29), Due(K.LATER, days_left=8)),
    ("leap day: yesterday", date(2024, 2, 28), False, date(2024, 2, 29), Due(K.OVERDUE, days_overdue=1)),
    # across a year end
    ("year end: today", date(2025, 12, 31), False, date(2025, 12, 31), Due(K.DUE_TODAY)),
    ("year end: in 1 day", date(2026, 1, 1), False, date(2025, 12, 31), Due(K.DUE_SOON, days_left=1)),
    ("year end: in 7 days", date(2026, 1, 7), False, date(2025, 12, 31), Due(K.DUE_SOON, days_left=7)),
    ("year end: in 8 days", date(2026, 1, 8), False, date(2025, 12, 31), Due(K.LATER, days_left=8)),
    ("new year: yesterday", date(2025, 12, 31), False, date(2026, 1, 1), Due(K.OVERDUE, days_overdue=1)),
    ("new year: done yesterday", date(2025, 12, 31), True, date(2026, 1, 1), Due(K.DONE)),
]


@pytest.mark.parametrize(("due", "done", "today", "expected"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_a_due_date_is_classified_by_one_rule(due, done, today, expected):
    assert classify_due(due, done=done, today=today) == expected


def test_the_due_soon_window_is_the_reminders_seven_days():
    assert DUE_SOON_DAYS == 7


# --- the SQL twin agrees with the function --------------------------------------------------------------------

TODAYS = sorted({case[3] for case in CASES})
SQL_KEYS = {K.OVERDUE: overdue_q, K.DUE_TODAY: due_today_q, K.DUE_SOON: due_soon_q}


def _python_keys(rows: dict[str, tuple[date | None, bool]], today: date) -> dict[str, DueKey]:
    return {code: classify_due(due, done=done, today=today).key for code, (due, done) in rows.items()}


def _assert_sql_agrees(model: type[Milestone] | type[PlanTask], done: Q, rows: dict[str, tuple[date | None, bool]],
                       today: date) -> None:
    expected = _python_keys(rows, today)
    objects = model.objects.filter(code__in=rows)
    for key, condition in SQL_KEYS.items():
        selected = set(objects.filter(condition("due_date", today=today, done=done)).values_list("code", flat=True))
        assert selected == {code for code, got in expected.items() if got == key}, (today, key)
    annotated = dict(objects.annotate(key=due_key("due_date", today=today, done=done)).values_list("code", "key"))
    assert annotated == {code: str(key) for code, key in expected.items()}, today


def test_the_sql_twin_selects_the_milestones_the_function_classifies(db):
    """Every dated row of the table becomes a milestone; on every ``today`` of the table, the SQL conditions
    select exactly the milestones the function calls overdue, due today and due soon."""
    task = make_task(make_plan("due"), "1")
    rows: dict[str, tuple[date | None, bool]] = {}
    for number, (_case, due, done, _today, _expected) in enumerate(CASES):
        if due is None:
            continue  # a milestone always has a due date; tasks cover "none" below
        code = f"m{number}"
        rows[code] = (due, done)
        status = Milestone.Status.DONE if done else Milestone.Status.PENDING
        make_milestone(task, code, due, status=status, completed_date=due if done else None)
    for today in TODAYS:
        _assert_sql_agrees(Milestone, Q(status=Milestone.Status.DONE), rows, today)


def test_the_sql_twin_selects_the_tasks_the_function_classifies_undated_ones_included(db):
    plan = make_plan("due")
    rows: dict[str, tuple[date | None, bool]] = {}
    for number, (_case, due, done, _today, _expected) in enumerate(CASES):
        code = f"t{number}"
        rows[code] = (due, done)
        make_task(plan, code, due_date=due, status=PlanTask.Status.DONE if done else PlanTask.Status.IN_PROGRESS,
                  completed_date=date(2025, 1, 1) if done else None,
                  start_date=None)
    for today in TODAYS:
        _assert_sql_agrees(PlanTask, Q(status=PlanTask.Status.DONE), rows, today)


# --- the chips: thin label wrappers over the rule --------------------------------------------------------------


@pytest.mark.parametrize(("due", "status", "key", "label", "colour"), [
    (date(2025, 10, 7), Milestone.Status.PENDING, "overdue", "逾期 3 天", "red"),
    (date(2025, 10, 10), Milestone.Status.PENDING, "due_today", "今天到期", "yellow"),
    (date(2025, 10, 15), Milestone.Status.PENDING, "due_soon", "5 天后到期", "yellow"),
    (date(2025, 10, 17), Milestone.Status.PENDING, "due_soon", "7 天后到期", "yellow"),
    # The milestone chip used a 30-day window of its own; it now follows the one 7-day rule.
    (date(2025, 10, 18), Milestone.Status.PENDING, "later", "8 天后到期", "grey"),
    (date(2025, 10, 1), Milestone.Status.DONE, "done", "已完成", "blue"),
])
def test_milestone_and_round_chips_share_the_rule_labels_and_colours(due, status, key, label, colour):
    today = date(2025, 10, 10)
    with translation.override("zh-hans"):
        state = milestone_state(Milestone(due_date=due, status=status), today)
        assert (state.key, state.label, state.colour) == (key, label, colour)
        if status == Milestone.Status.PENDING:
            round_due = due_state(due, today)
            assert (round_due.label, round_due.colour) == (label, colour)


def test_labels_speak_english_with_plurals():
    with translation.override("en"):
        assert due_state(date(2025, 10, 9), date(2025, 10, 10)).label == "1 day overdue"
        assert due_state(date(2025, 10, 7), date(2025, 10, 10)).label == "3 days overdue"
        assert due_state(date(2025, 10, 10), date(2025, 10, 10)).label == "Due today"
        assert due_state(date(2025, 10, 11), date(2025, 10, 10)).label == "Due in 1 day"
