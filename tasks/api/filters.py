"""Filters of the plan register API, applied on top of the selectors' scoped querysets.

Every filter is a WHERE clause (subqueries, no extra round trip), so the number of queries of a
list does not depend on its filters or its page size.

Apps above ``tasks`` add filters to a list without ``tasks`` importing them: ``register_list_filter`` (called from
their ``AppConfig.ready()``) adds a django-filter ``Filter`` to a filter set here, where the schema
(drf-spectacular) and the 400 field errors pick it up like any filter declared below. ``evaluation`` adds
``light`` and ``as_of`` to ``/api/tasks/`` that way.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tasks.converters import MAX_ID  # beyond it, SQLite refuses the parameter (a 500)
from tasks.due_sql import overdue_q
from tasks.models import Indicator, Milestone, Plan, PlanTask, TaskUnit
from units.models import Unit
from units.selectors import unit_list

UNIT_ROLES = (("lead", _("牵头单位")), ("responsible", _("责任单位")), ("any", _("牵头或责任单位")))




@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """An object id (integer) in a query parameter; out of range is a 400 naming the parameter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def id_or_code(value: str, prefix: str = "") -> Q:
    """Match an object by its code, or by its id when *value* is an id (ASCII digits within 64 bits: ``²`` passes
    ``str.isdigit`` but is no number ``int`` reads)."""
    condition = Q(**{f"{prefix}code": value})
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        condition |= Q(**{f"{prefix}pk": int(value)})
    return condition


class _UnitAware(filters.FilterSet):
    def units_matching(self, value: str) -> QuerySet[Unit]:
        """Subquery of the unit given by id or code (empty if none)."""
        return unit_list(user=self.request.user).filter(id_or_code(value)).values("pk")

    def tasks_of_units(self, units: QuerySet[Unit], role: str) -> Q:
        """Tasks (as a condition on a task id) the units lead, contribute to, or either."""
        lead = Q(lead_unit__in=units)
        responsible = Q(pk__in=TaskUnit.objects.filter(unit__in=units).values("task_id"))
        return {"lead": lead, "responsible": responsible}.get(role, lead | responsible)


class PlanFilter(filters.FilterSet):
    """/api/plans/: status."""

    status = filters.ChoiceFilter(choices=Plan.Status.choices, label=_("状态"))

    class Meta:
        model = Plan
        fields = ["status"]


class TaskFilter(_UnitAware):
    """/api/tasks/: plan (id or code), unit (id or code) with role, kind, status, importance, parent, leaf,
    due range, q."""

    plan = filters.CharFilter(method="filter_plan", label=_("行动方案（ID 或代码）"))
    unit = filters.CharFilter(method="filter_unit", label=_("单位（ID 或代码）"))
    role = filters.ChoiceFilter(
        choices=UNIT_ROLES, method="filter_role", label=_("与 unit 连用：lead 牵头、responsible 责任、any 任一（默认）")
    )
    kind = filters.ChoiceFilter(choices=PlanTask.Kind.choices, label=_("类型"))
    status = filters.ChoiceFilter(choices=PlanTask.Status.choices, label=_("状态"))
    importance = filters.ChoiceFilter(choices=PlanTask.Importance.choices, label=_("重要程度"))
    parent = IdFilter(field_name="parent_id", label=_("上级任务 ID"))
    leaf = filters.BooleanFilter(method="filter_leaf", label=_("是否末级任务"))
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("完成时限不早于"))
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("完成时限不晚于"))
    q = filters.CharFilter(method="filter_q", label=_("编号、名称或内容包含"))

    class Meta:
        model = PlanTask
        fields = [
            "plan", "unit", "role", "kind", "status", "importance", "parent", "leaf", "due_after", "due_before", "q",
        ]

    def filter_plan(self, queryset: QuerySet[PlanTask], name: str, value: str) -> QuerySet[PlanTask]:
        return queryset.filter(id_or_code(value, "plan__"))

    def filter_unit(self, queryset: QuerySet[PlanTask], name: str, value: str) -> QuerySet[PlanTask]:
        role = self.form.cleaned_data.get("role") or "any"
        return queryset.filter(self.tasks_of_units(self.units_matching(value), role))

    def filter_role(self, queryset: QuerySet[PlanTask], name: str, value: str) -> QuerySet[PlanTask]:
        return queryset  # only qualifies ``unit``

    def filter_leaf(self, queryset: QuerySet[PlanTask], name: str, value: bool) -> QuerySet[PlanTask]:
        has_children = Exists(PlanTask.objects.filter(parent=OuterRef("pk")))
        return queryset.filter(~has_children if value else has_children)

    def filter_q(self, queryset: QuerySet[PlanTask], name: str, value: str) -> QuerySet[PlanTask]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(title__icontains=value) | Q(title_en__icontains=value)
            | Q(text__icontains=value)
        )


def register_list_filter(filterset: type[filters.FilterSet], name: str, filter_: filters.Filter) -> None:
    """Add ``filter_`` as the query parameter ``name`` of ``filterset`` (at start-up, from an ``AppConfig.ready()``).

    The filter is applied after the filter set's own ones, on the scoped and filtered queryset: it may only narrow
    the list. It reads its sibling parameters and the request through ``self.parent`` (the filter set) and must
    cost the list a fixed number of queries. Idempotent: registering a name again replaces the filter."""
    if name in filterset.declared_filters:
        raise ValueError(f"{filterset.__name__} declares {name!r} itself")
    filterset.base_filters.pop(name, None)
    filterset.base_filters[name] = filter_  # last: the extensions run after the set's own filters


class IndicatorFilter(_UnitAware):
    """/api/indicators/: plan (id or code), task (id), unit (id or code: the task's lead or a responsible unit)."""

    plan = filters.CharFilter(method="filter_plan", label=_("行动方案（ID 或代码）"))
    task = IdFilter(field_name="task_id", label=_("任务 ID"))
    unit = filters.CharFilter(method="filter_unit", label=_("单位（ID 或代码），牵头或责任单位"))

    class Meta:
        model = Indicator
        fields = ["plan", "task", "unit"]

    def filter_plan(self, queryset: QuerySet[Indicator], name: str, value: str) -> QuerySet[Indicator]:
        return queryset.filter(id_or_code(value, "plan__"))

    def filter_unit(self, queryset: QuerySet[Indicator], name: str, value: str) -> QuerySet[Indicator]:
        tasks = PlanTask.objects.filter(self.tasks_of_units(self.units_matching(value), "any")).values("pk")
        return queryset.filter(task__in=tasks)


class MilestoneFilter(_UnitAware):
    """/api/milestones/: task, plan, unit (owner, or the task's lead if no owner), due range, overdue, status."""

    task = IdFilter(field_name="task_id", label=_("任务 ID"))
    plan = filters.CharFilter(method="filter_plan", label=_("行动方案（ID 或代码）"))
    unit = filters.CharFilter(method="filter_unit", label=_("单位（ID 或代码）：节点责任单位，未指定时为任务牵头单位"))
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("计划完成日期不早于"))
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("计划完成日期不晚于"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("是否逾期（按北京时间今天）"))
    status = filters.ChoiceFilter(choices=Milestone.Status.choices, label=_("状态"))

    class Meta:
        model = Milestone
        fields = ["task", "plan", "unit", "due_after", "due_before", "overdue", "status"]

    def filter_plan(self, queryset: QuerySet[Milestone], name: str, value: str) -> QuerySet[Milestone]:
        return queryset.filter(id_or_code(value, "task__plan__"))

    def filter_unit(self, queryset: QuerySet[Milestone], name: str, value: str) -> QuerySet[Milestone]:
        units = self.units_matching(value)
        # The lead-unit branch as a subquery on task_id rather than a join to the task: both branches are then
        # conditions on milestone columns, which the database answers from indexes instead of testing every row.
        led = PlanTask.objects.filter(lead_unit__in=units).values("pk")
        return queryset.filter(Q(owner_unit__in=units) | Q(owner_unit__isnull=True, task__in=led))

    def filter_overdue(self, queryset: QuerySet[Milestone], name: str, value: bool) -> QuerySet[Milestone]:
        condition = overdue_q("due_date", today=timezone.localdate(), done=Q(status=Milestone.Status.DONE))
        return queryset.filter(condition) if value else queryset.exclude(condition)
