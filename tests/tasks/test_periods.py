"""The quarter that contains a day: the one helper the round form, the demo and the rule-set lookup share."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.periods import quarter_of


@pytest.mark.parametrize(
    ("day", "code", "start", "end"),
    [
        (date(2025, 1, 1), "2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 3, 31), "2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), "2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
        (date(2024, 8, 15), "2024-Q3", date(2024, 7, 1), date(2024, 9, 30)),
        (date(2025, 12, 31), "2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_the_quarter_of_a_day(day, code, start, end):
    period = quarter_of(day)
    assert (period.code, period.start, period.end) == (code, start, end)
