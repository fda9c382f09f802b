"""Working days on the Chinese calendar, with the 调休 weekends of the Spring Festival and National Day, and the
stated fallback (Monday to Friday) for a year the calendar does not cover yet."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.workdays import add_working_days, covered, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday worked before National Day (调休)
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 8), False),  # Wednesday, still the holiday
        (date(2025, 10, 11), True),  # Saturday worked after it (调休)
        (date(2026, 2, 14), True),  # Saturday worked before the Spring Festival (调休)
        (date(2026, 2, 16), False),  # Monday, Spring Festival holiday
        (date(2026, 2, 23), False),  # Monday, the holiday's last day
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday worked after it (调休)
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2027, 1, 1), True),  # 2027 not published yet: Monday to Friday (New Year falls on a Friday)
        (date(2027, 1, 2), False),
    ],
)
def test_working_days_follow_the_official_calendar(day, working):
    assert is_working_day(day) is working


def test_a_year_not_yet_covered_is_said_so():
    assert covered(date(2026, 12, 31)) and not covered(date(2027, 1, 4))


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Friday + 1: the worked Sunday
        (date(2025, 9, 30), 1, date(2025, 10, 9)),  # across the Golden Week
        (date(2025, 9, 30), 2, date(2025, 10, 10)),
        (date(2025, 9, 30), 3, date(2025, 10, 11)),  # the worked Saturday
        (date(2026, 2, 13), 5, date(2026, 2, 27)),  # the Spring Festival: 14th worked, 15th-23rd off
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_adding_working_days(start, days, end):
    assert add_working_days(start, days) == end
    assert working_days_between(start, end) == days
