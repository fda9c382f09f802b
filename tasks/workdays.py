"""Working days on the Chinese public-holiday calendar, with 调休 (weekend days worked in exchange for a holiday).

Pure: no ORM, no clock. The calendar comes from the maintained ``chinesecalendar`` package (the State Council's
yearly notice, transcribed). For a year it does not cover yet (the notice comes out each November or December), a
day is a working day when it is Monday to Friday: a stated fallback, so deadlines in that year are never refused,
only possibly a holiday early; ``covered(day)`` says whether a day's answer is the official one.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


def covered(day: date) -> bool:
    """Whether the official calendar covers this day (otherwise Monday to Friday are working days)."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


# Cached: chinesecalendar checks every date against its whole table's range (two scans of a few thousand dates),
# and the reminder sweep asks about the same few weeks for every item of a batch.
@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` (``start`` itself does not count); 0 gives ``start``."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when ``end`` is not after)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
