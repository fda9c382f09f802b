"""The one due-date rule: is something done, overdue, due today, due soon, due later, or undated?

Pure module: no Django, no ORM; ``today`` is always passed in (callers use ``timezone.localdate()``, so
"today" is Beijing time). Milestones, tasks, reporting rounds and inbox items all ask this function;
queries ask its SQL twin in ``tasks.due_sql``, and ``tests/tasks/test_due.py`` proves the two agree on
one table of cases.

The rule, with ``days = due_date - today``:

- ``done``: the thing is done, whatever its date;
- ``none``: not done and without a due date (a task whose deadline is only a text such as 持续推进);
- ``overdue``: ``days < 0`` (the due date itself is still in time);
- ``due_today``: ``days == 0``;
- ``due_soon``: ``1 <= days <= DUE_SOON_DAYS`` — the reminders go out 7, 3 and 1 days before and the
  daily digest lists what is "due within 7 days";
- ``later``: further out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = ["DUE_SOON_DAYS", "Due", "DueKey", "classify_due"]

DUE_SOON_DAYS = 7


class DueKey(StrEnum):
    DONE = "done"
    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    DUE_SOON = "due_soon"
    LATER = "later"
    NONE = "none"


@dataclass(frozen=True)
class Due:
    """Where a due date stands on a given day.

    ``days_overdue`` is positive only for ``overdue`` (1 the day after the due date); ``days_left`` is the
    number of days until the due date for ``due_today`` (0), ``due_soon`` and ``later``, else 0.
    """

    key: DueKey
    days_overdue: int = 0
    days_left: int = 0

    @property
    def is_overdue(self) -> bool:
        return self.key == DueKey.OVERDUE

    @property
    def is_due_soon(self) -> bool:
        """Due today or within ``DUE_SOON_DAYS`` (the yellow states)."""
        return self.key in (DueKey.DUE_TODAY, DueKey.DUE_SOON)


def classify_due(due_date: date | None, *, done: bool, today: date) -> Due:
    """Classify ``due_date`` as seen on ``today`` (see the module docstring for the rule)."""
    if done:
        return Due(DueKey.DONE)
    if due_date is None:
        return Due(DueKey.NONE)
    days = (due_date - today).days
    if days < 0:
        return Due(DueKey.OVERDUE, days_overdue=-days)
    if days == 0:
        return Due(DueKey.DUE_TODAY)
    if days <= DUE_SOON_DAYS:
        return Due(DueKey.DUE_SOON, days_left=days)
    return Due(DueKey.LATER, days_left=days)
