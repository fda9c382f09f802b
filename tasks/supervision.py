"""The 督办单 facts the unit score needs (F3's "督办 replies on time"), provided by the app that keeps the notices
(``notifications``) to the app that scores (``evaluation``), neither importing the other.

``notifications`` registers one counter in its ``AppConfig.ready()``. Without one (a project without reminders), the
score keeps its documented placeholder: the rate counts 1.0 and the breakdown says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

#: (plan_id, period_start, period_end, as_of) → per unit id, (replies due, replies on time).
DubanCounter = Callable[[int, date, date, date], dict[int, tuple[int, int]]]

_COUNTER: list[DubanCounter] = []


def register_duban_counter(counter: DubanCounter) -> None:
    """Set the counter (registering again replaces it)."""
    _COUNTER[:] = [counter]


def unregister_duban_counter() -> None:
    """Remove it (tests)."""
    _COUNTER.clear()


def duban_counts(*, plan_id: int, period_start: date, period_end: date,
                 as_of: date) -> dict[int, tuple[int, int]] | None:
    """Per unit, the 督办单 replies that fell due in the period (by ``as_of``) and how many came on time; None when no
    app keeps notices. A unit with none is absent (its rate has nothing to count)."""
    if not _COUNTER:
        return None
    return _COUNTER[0](plan_id, period_start, period_end, as_of)
