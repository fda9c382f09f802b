"""Lean rows of the register lists: one ``.values()`` query per page, rendered to the output serializers' shape.

Rendering a page of 50 tasks through model instances and ``TaskOutputSerializer`` builds some 250
model instances (each task with its plan, parent, lead unit and responsible units) and runs about
2,000 field serializers; at province scale that, not SQL, was most of a list request. The lists
read plain column values for the page's rows instead and build the same dicts by hand.

The output serializers stay the definition of the shape: the detail routes and the writes render
through them, the schema is generated from them, and ``tests/api/test_api_rows.py`` proves that
every row here equals what the serializer renders for the same object. Scalars go through the same
DRF field classes the serializers use, so dates, times (Asia/Shanghai) and decimals come out
identical.

A source is given the page as a queryset of the model restricted to the page's rows (already
scoped by the selector and filtered); it adds no filter of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any, Protocol

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from rest_framework import serializers

from tasks.due_sql import overdue_q
from tasks.models import IndicatorValue, Milestone, PlanTask, TaskUnit
from tasks.selectors import MILESTONE_DONE

Row = dict[str, Any]

_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_WEIGHT = serializers.DecimalField(max_digits=7, decimal_places=2)  # Milestone.weight
_AMOUNT = serializers.DecimalField(max_digits=20, decimal_places=4)  # tasks.models.register.DECIMAL
_IMPORTANCE_WEIGHT = serializers.DecimalField(max_digits=3, decimal_places=1)  # TaskOutputSerializer


class ListRows(Protocol):
    """What ``tasks.api.pagination.RegisterPagination`` needs from a list."""

    #: Model fields, unique together and never null, in the list's default order (an index's order).
    keyset: tuple[str, ...]

    def values(self, page: QuerySet) -> QuerySet:
        """The page's rows as a ``.values()`` queryset that includes every ``keyset`` field."""

    def render(self, rows: Sequence[Row]) -> list[Row]:
        """The page's rows in the output serializer's shape (may run one more query, never one per row)."""


def _date(value: date | None) -> str | None:
    return None if value is None else _DATE.to_representation(value)


def _unit(row: Row, prefix: str) -> Row | None:
    """A ``UnitRefSerializer`` shape from ``prefix``-ed columns, or None when the unit is not set."""
    if row[f"{prefix}_id"] is None:
        return None
    return {
        "id": row[f"{prefix}_id"],
        "code": row[f"{prefix}__code"],
        "short_name": row[f"{prefix}__short_name"],
        "name": row[f"{prefix}__name"],
    }


def _unit_columns(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}_id", f"{prefix}__code", f"{prefix}__short_name", f"{prefix}__name")


@cache
def _importance_weight(importance: str) -> str:
    # The weight rule lives on the model; there are only two importances, so ask it once for each.
    return _IMPORTANCE_WEIGHT.to_representation(PlanTask(importance=importance).importance_weight)


class TaskRows:
    """Rows of ``/api/tasks/`` in the shape of ``TaskOutputSerializer``: two queries (tasks, responsible units)."""

    keyset = ("plan_id", "sort_key", "id")
    columns = (
        "id", "plan_id", "plan__code", "plan__title", "parent_id", "parent__code", "parent__title", "code", "sort_key",
        "depth", "title", "title_en", "text", "kind", "importance", *_unit_columns("lead_unit"), "units_illustrative",
        "start_date", "due_date", "due_text", "status", "completed_date", "note", "created_at", "updated_at",
        "version",
    )

    def values(self, page: QuerySet[PlanTask]) -> QuerySet:
        return page.values(*self.columns)

    def render(self, rows: Sequence[Row]) -> list[Row]:
        responsible: dict[int, list[Row]] = {row["id"]: [] for row in rows}
        if responsible:
            links = (
                TaskUnit.objects.filter(task_id__in=responsible)
                .order_by("order", "id")  # as tasks.selectors prefetches them: the listed order
                .values("task_id", *_unit_columns("unit"))
            )
            for link in links:
                responsible[link["task_id"]].append(_unit(link, "unit"))
        return [
            {
                "id": row["id"],
                "plan": {"id": row["plan_id"], "code": row["plan__code"], "title": row["plan__title"]},
                "parent": None if row["parent_id"] is None else {
                    "id": row["parent_id"], "code": row["parent__code"], "title": row["parent__title"],
                },
                "code": row["code"],
                "depth": row["depth"],
                "title": row["title"],
                "title_en": row["title_en"],
                "text": row["text"],
                "kind": row["kind"],
                "importance": row["importance"],
                "importance_weight": _importance_weight(row["importance"]),
                "lead_unit": _unit(row, "lead_unit"),
                "responsible_units": responsible[row["id"]],
                "units_illustrative": row["units_illustrative"],
                "start_date": _date(row["start_date"]),
                "due_date": _date(row["due_date"]),
                "due_text": row["due_text"],
                "status": row["status"],
                "completed_date": _date(row["completed_date"]),
                "note": row["note"],
                "created_at": _DATETIME.to_representation(row["created_at"]),
                "updated_at": _DATETIME.to_representation(row["updated_at"]),
                "version": row["version"],
            }
            for row in rows
        ]


class MilestoneRows:
    """Rows of ``/api/milestones/`` in the shape of ``MilestoneOutputSerializer``: one query.

    ``overdue`` is computed in SQL by ``overdue_q`` for ``today`` — the same condition the
    ``?overdue=`` filter uses, and the SQL twin of ``milestone_is_overdue`` the serializer uses.
    """

    # (task, code) is unique, so these four are too; milestone_default_order_idx has them in this order.
    keyset = ("task_id", "due_date", "order", "code")
    columns = (
        "id", "task_id", "task__code", "task__title", "task__plan_id", "task__plan__code", "task__plan__title", "code",
        "title", "due_date", "original_due_date", "weight", "target_value", *_unit_columns("owner_unit"), "status",
        "completed_date", "order", "version",
    )

    def __init__(self, *, today: date) -> None:
        self.today = today

    def values(self, page: QuerySet[Milestone]) -> QuerySet:
        overdue = ExpressionWrapper(overdue_q("due_date", today=self.today, done=MILESTONE_DONE),
                                    output_field=BooleanField())
        return page.annotate(is_overdue=overdue).values(*self.columns, "is_overdue")

    def render(self, rows: Sequence[Row]) -> list[Row]:
        return [
            {
                "id": row["id"],
                "task": {"id": row["task_id"], "code": row["task__code"], "title": row["task__title"]},
                "plan": {
                    "id": row["task__plan_id"], "code": row["task__plan__code"], "title": row["task__plan__title"],
                },
                "code": row["code"],
                "title": row["title"],
                "due_date": _date(row["due_date"]),
                "original_due_date": _date(row["original_due_date"]),
                # Milestone.moved, on the two columns it reads.
                "moved": row["original_due_date"] is not None and row["original_due_date"] != row["due_date"],
                "overdue": row["is_overdue"],
                "weight": _WEIGHT.to_representation(row["weight"]),
                "target_value": None if row["target_value"] is None else _AMOUNT.to_representation(row["target_value"]),
                "owner_unit": _unit(row, "owner_unit"),
                "status": row["status"],
                "completed_date": _date(row["completed_date"]),
                "order": row["order"],
                "version": row["version"],
            }
            for row in rows
        ]


class IndicatorValueRows:
    """Rows of ``/api/indicators/{id}/values/`` in the shape of ``IndicatorValueOutputSerializer``: one query.

    The list is one indicator's, which has one value per round, so the round alone is the keyset (the unique
    constraint (indicator, round) is its index): values come in the order their rounds were opened.
    """

    keyset = ("round_id",)
    columns = ("round_id", "round__period", "round__period_start", "round__period_end", "value", "report_id",
               "approved_at")

    def values(self, page: QuerySet[IndicatorValue]) -> QuerySet:
        return page.values(*self.columns)

    def render(self, rows: Sequence[Row]) -> list[Row]:
        return [
            {
                "round": {
                    "id": row["round_id"], "period": row["round__period"],
                    "period_start": _date(row["round__period_start"]), "period_end": _date(row["round__period_end"]),
                },
                "value": _AMOUNT.to_representation(row["value"]),
                "report": row["report_id"],
                "approved_at": _DATETIME.to_representation(row["approved_at"]),
            }
            for row in rows
        ]
