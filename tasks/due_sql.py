"""The SQL twin of ``tasks.due.classify_due``: conditions and an annotation over any date field.

Every query that filters or counts overdue or due-soon rows builds its condition here, from the name of
the date field (``"due_date"``, ``"round__due_date"``) and the condition that makes a row done
(``Q(status="done")``; ``None`` when no row of the query can be done, such as the inbox's waiting
reports). ``tests/tasks/test_due.py`` proves these select exactly the rows the pure function classifies
the same way. Rows without a date match none of the dated conditions (SQL compares NULL as unknown).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, CharField, Q, Value, When

from tasks.due import DUE_SOON_DAYS, DueKey

__all__ = ["due_key", "due_soon_q", "due_today_q", "overdue_q"]


def _not_done(done: Q | None) -> Q:
    return ~done if done is not None else Q()


def overdue_q(field: str, *, today: date, done: Q | None = None) -> Q:
    """Not done, and ``field`` is before ``today`` (``DueKey.OVERDUE``)."""
    return Q(**{f"{field}__lt": today}) & _not_done(done)


def due_today_q(field: str, *, today: date, done: Q | None = None) -> Q:
    """Not done, and ``field`` is ``today`` (``DueKey.DUE_TODAY``)."""
    return Q(**{field: today}) & _not_done(done)


def due_soon_q(field: str, *, today: date, done: Q | None = None) -> Q:
    """Not done, and ``field`` is 1 to ``DUE_SOON_DAYS`` days after ``today`` (``DueKey.DUE_SOON``; today is
    ``due_today_q``)."""
    window = (today + timedelta(days=1), today + timedelta(days=DUE_SOON_DAYS))
    return Q(**{f"{field}__range": window}) & _not_done(done)


def due_key(field: str, *, today: date, done: Q | None = None) -> Case:
    """The ``DueKey`` of each row as an annotation (for ordering or grouping by due state in SQL)."""
    return Case(
        *([When(done, then=Value(DueKey.DONE.value))] if done is not None else []),
        When(Q(**{f"{field}__isnull": True}), then=Value(DueKey.NONE.value)),
        When(Q(**{f"{field}__lt": today}), then=Value(DueKey.OVERDUE.value)),
        When(Q(**{field: today}), then=Value(DueKey.DUE_TODAY.value)),
        When(Q(**{f"{field}__lte": today + timedelta(days=DUE_SOON_DAYS)}), then=Value(DueKey.DUE_SOON.value)),
        default=Value(DueKey.LATER.value),
        output_field=CharField(),
    )
