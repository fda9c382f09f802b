"""Serializers of the plan register API.

Output serializers render what the selectors loaded (no queries of their own); input
serializers only check shapes and resolve references — unit codes, plan and task ids — within
what the acting user may read. Register rules (unique codes, parent in the same plan, dates in
order, a reason for a moved milestone…) live in ``tasks.services``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks.models import Indicator, IndicatorTarget, IndicatorValue, Milestone, Plan, PlanTask, ReportingRound
from tasks.numbers import is_plain_number
from tasks.selectors import milestone_is_overdue, plan_list, task_list
from tasks.services import InterimTarget
from units.api.serializers import UnitRefSerializer, choice_field
from units.models import Unit
from units.selectors import unit_list

PlanCadenceField = choice_field(Plan.Cadence, "PlanCadenceEnum")
PlanStatusField = choice_field(Plan.Status, "PlanStatusEnum")
TaskKindField = choice_field(PlanTask.Kind, "TaskKindEnum")
TaskImportanceField = choice_field(PlanTask.Importance, "TaskImportanceEnum")
TaskStatusField = choice_field(PlanTask.Status, "TaskStatusEnum")
IndicatorDirectionField = choice_field(Indicator.Direction, "IndicatorDirectionEnum")
MilestoneStatusField = choice_field(Milestone.Status, "MilestoneStatusEnum")

# --- compact references -----------------------------------------------------------------------


class PlanRefSerializer(serializers.ModelSerializer):
    """A plan as other objects refer to it: {id, code, title}."""

    class Meta:
        model = Plan
        fields = ["id", "code", "title"]
        read_only_fields = fields


class TaskRefSerializer(serializers.ModelSerializer):
    """A task as other objects refer to it: {id, code, title}."""

    class Meta:
        model = PlanTask
        fields = ["id", "code", "title"]
        read_only_fields = fields


# --- output -----------------------------------------------------------------------------------


class PlanOutputSerializer(serializers.ModelSerializer):
    cadence = PlanCadenceField(read_only=True)
    status = PlanStatusField(read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id", "code", "title", "title_en", "issuer", "issued_date", "start_date", "end_date", "cadence", "status",
            "units_illustrative", "note", "created_at", "updated_at", "version",
        ]
        read_only_fields = fields


class TaskOutputSerializer(serializers.ModelSerializer):
    """A task with compact plan, parent and unit references; ``version`` is the token for stale checks."""

    plan = PlanRefSerializer(read_only=True)
    parent = TaskRefSerializer(read_only=True, allow_null=True)
    lead_unit = UnitRefSerializer(read_only=True, allow_null=True)
    # Declared once per list (not built per row): task_units is prefetched with units by the selector, in order.
    responsible_units = UnitRefSerializer(many=True, read_only=True, source="responsible_units_in_order")
    importance_weight = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True)
    kind = TaskKindField(read_only=True)
    importance = TaskImportanceField(read_only=True)
    status = TaskStatusField(read_only=True)

    class Meta:
        model = PlanTask
        fields = [
            "id", "plan", "parent", "code", "depth", "title", "title_en", "text", "kind", "importance",
            "importance_weight", "lead_unit", "responsible_units", "units_illustrative", "start_date", "due_date",
            "due_text", "status", "completed_date", "note", "created_at", "updated_at", "version",
        ]
        read_only_fields = fields


class InterimTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorTarget
        fields = ["year", "value", "illustrative"]
        read_only_fields = fields


class IndicatorOutputSerializer(serializers.ModelSerializer):
    plan = PlanRefSerializer(read_only=True)
    task = TaskRefSerializer(read_only=True)
    interim_targets = InterimTargetSerializer(many=True, read_only=True)
    direction = IndicatorDirectionField(read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id", "plan", "task", "code", "name", "name_en", "unit_of_measure", "direction", "baseline_year",
            "baseline_value", "baseline_illustrative", "target_year", "target_value", "target_text", "source", "order",
            "interim_targets", "version",
        ]
        read_only_fields = fields


class IndicatorValueRoundSerializer(serializers.ModelSerializer):
    """The round an approved value is of: {id, period, period_start, period_end}."""

    class Meta:
        model = ReportingRound
        fields = ["id", "period", "period_start", "period_end"]
        read_only_fields = fields


class IndicatorValueOutputSerializer(serializers.ModelSerializer):
    """An indicator's approved value for one round: the value, the approved report (id) and when it was approved."""

    round = IndicatorValueRoundSerializer(read_only=True)
    report = serializers.IntegerField(source="report_id", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = ["round", "value", "report", "approved_at"]
        read_only_fields = fields


class IndicatorDetailOutputSerializer(IndicatorOutputSerializer):
    """An indicator with ``latest_value``: the approved value of its latest period (``context["latest_value"]``,
    from ``tasks.selectors.indicator_latest_value``), or null while none has been approved."""

    latest_value = serializers.SerializerMethodField()

    class Meta(IndicatorOutputSerializer.Meta):
        fields = [*IndicatorOutputSerializer.Meta.fields, "latest_value"]
        read_only_fields = fields

    @extend_schema_field(IndicatorValueOutputSerializer(allow_null=True))
    def get_latest_value(self, indicator: Indicator) -> dict[str, Any] | None:
        latest = self.context.get("latest_value")
        return None if latest is None else IndicatorValueOutputSerializer(latest).data


class MilestoneOutputSerializer(serializers.ModelSerializer):
    """A milestone; ``overdue`` is computed for ``context["today"]`` (Asia/Shanghai) by the one overdue rule."""

    task = TaskRefSerializer(read_only=True)
    plan = PlanRefSerializer(source="task.plan", read_only=True)
    owner_unit = UnitRefSerializer(read_only=True, allow_null=True)
    moved = serializers.BooleanField(read_only=True)
    overdue = serializers.SerializerMethodField()
    status = MilestoneStatusField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id", "task", "plan", "code", "title", "due_date", "original_due_date", "moved", "overdue", "weight",
            "target_value", "owner_unit", "status", "completed_date", "order", "version",
        ]
        read_only_fields = fields

    def get_overdue(self, milestone: Milestone) -> bool:
        today: date = self.context["today"]
        return milestone_is_overdue(milestone, today=today)


# --- reference fields for input ---------------------------------------------------------------


def _acting_user(field: serializers.Field) -> Any:
    request = field.context.get("request")
    return getattr(request, "user", None)


class PlainDecimalField(serializers.DecimalField):
    """A DecimalField that takes a number only as people type it (``tasks.numbers``): DRF's would read "１２" as
    12 and "1_000" as 1000."""

    def to_internal_value(self, data: Any) -> Any:
        if not is_plain_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class UnitCodeField(serializers.SlugRelatedField):
    """An active unit given by its code (slug), e.g. ``"jxw"``."""

    default_error_messages = {
        "does_not_exist": _("没有代码为“{value}”的启用单位。"),
        "invalid": _("单位代码无效。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        # The queryset is a placeholder for schema generation; lookups go through the selector.
        super().__init__(slug_field="code", queryset=Unit.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet[Unit]:
        return unit_list(user=_acting_user(self)).filter(active=True)

    def to_internal_value(self, data: Any) -> Unit:
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL refuses NUL in a query parameter (a 500)
            self.fail("invalid")
        return super().to_internal_value(data)


class PlanIdField(serializers.PrimaryKeyRelatedField):
    """A plan the acting user may read, by id."""

    default_error_messages = {"does_not_exist": _("没有 ID 为 {pk_value} 的行动方案。")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Plan.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(user=_acting_user(self))


class TaskIdField(serializers.PrimaryKeyRelatedField):
    """A task the acting user may read, by id."""

    default_error_messages = {"does_not_exist": _("没有 ID 为 {pk_value} 的任务。")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=PlanTask.objects.none(), **kwargs)

    def get_queryset(self) -> QuerySet[PlanTask]:
        return task_list(user=_acting_user(self))


# --- input ------------------------------------------------------------------------------------


def version_input_field() -> serializers.IntegerField:
    """The ``version`` a PATCH may carry: the one last read; the service refuses it (409) if the row moved on."""
    return serializers.IntegerField(required=False, min_value=1,
                                    help_text=_("客户端读取时的 version；与当前版本不符则返回 409，不写入"))


class TaskUpdateInputSerializer(serializers.Serializer):
    """PATCH /api/tasks/{id}/: any subset of the fields; ``version`` (as last read) guards against stale writes."""

    parent = TaskIdField(required=False, allow_null=True)
    code = serializers.CharField(max_length=60, required=False)
    title = serializers.CharField(max_length=200, required=False)
    title_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)
    kind = TaskKindField(required=False)
    importance = TaskImportanceField(required=False)
    lead_unit = UnitCodeField(required=False, allow_null=True)
    responsible_units = UnitCodeField(many=True, required=False, allow_empty=True)
    units_illustrative = serializers.BooleanField(required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    due_text = serializers.CharField(max_length=60, required=False, allow_blank=True)
    status = TaskStatusField(required=False)
    completed_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True, help_text=_("修改说明，记入审计记录"))
    version = version_input_field()


class TaskCreateInputSerializer(TaskUpdateInputSerializer):
    """POST /api/tasks/: a new task of a plan; units by code."""

    plan = PlanIdField()
    code = serializers.CharField(max_length=60)
    title = serializers.CharField(max_length=200)
    version = None  # type: ignore[assignment]  # not part of a create


class MilestoneUpdateInputSerializer(serializers.Serializer):
    """PATCH /api/milestones/{id}/: any subset; a new ``due_date`` needs a ``reason``; ``version`` as for tasks."""

    code = serializers.CharField(max_length=40, required=False)
    title = serializers.CharField(max_length=200, required=False)
    due_date = serializers.DateField(required=False)
    weight = PlainDecimalField(max_digits=7, decimal_places=2, required=False)
    target_value = PlainDecimalField(max_digits=20, decimal_places=4, required=False, allow_null=True)
    owner_unit = UnitCodeField(required=False, allow_null=True)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, help_text=_("调整理由；修改完成日期时必填"))
    version = version_input_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Completion is not an input: it comes only from an approved report (and is read-only in the output).
        given = [field for field in ("status", "completed_date") if field in self.initial_data]
        if given:
            message = _("节点是否完成只能由审核通过的进展报告确认，不能直接修改。")
            raise serializers.ValidationError({field: [message] for field in given})
        return attrs


class MilestoneCreateInputSerializer(MilestoneUpdateInputSerializer):
    """POST /api/milestones/: a new milestone of a task."""

    task = TaskIdField()
    code = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    due_date = serializers.DateField()
    reason = None  # type: ignore[assignment]
    version = None  # type: ignore[assignment]
    comment = serializers.CharField(required=False, allow_blank=True, help_text=_("说明，记入审计记录"))


class InterimTargetInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=0, max_value=32767)
    value = PlainDecimalField(max_digits=20, decimal_places=4)
    illustrative = serializers.BooleanField(default=False)

    def to_internal_value(self, data: Any) -> InterimTarget:
        return InterimTarget(**super().to_internal_value(data))


class IndicatorUpdateInputSerializer(serializers.Serializer):
    """PATCH /api/indicators/{id}/: any subset; ``interim_targets`` replaces the whole list; ``version`` as for
    tasks."""

    task = TaskIdField(required=False)
    code = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=200, required=False)
    name_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    unit_of_measure = serializers.CharField(max_length=40, required=False)
    direction = IndicatorDirectionField(required=False)
    baseline_year = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    baseline_value = PlainDecimalField(max_digits=20, decimal_places=4, required=False)
    baseline_illustrative = serializers.BooleanField(required=False)
    target_year = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    target_value = PlainDecimalField(max_digits=20, decimal_places=4, required=False)
    target_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    interim_targets = InterimTargetInputSerializer(many=True, required=False)
    comment = serializers.CharField(required=False, allow_blank=True, help_text=_("修改说明，记入审计记录"))
    version = version_input_field()


class IndicatorCreateInputSerializer(IndicatorUpdateInputSerializer):
    """POST /api/indicators/: a new indicator of a task (its plan is the task's)."""

    task = TaskIdField()
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    unit_of_measure = serializers.CharField(max_length=40)
    baseline_year = serializers.IntegerField(min_value=0, max_value=32767)
    baseline_value = PlainDecimalField(max_digits=20, decimal_places=4)
    target_year = serializers.IntegerField(min_value=0, max_value=32767)
    target_value = PlainDecimalField(max_digits=20, decimal_places=4)
    version = None  # type: ignore[assignment]


class PlanUpdateInputSerializer(serializers.Serializer):
    """PATCH /api/plans/{id}/: any subset of the plan's editable fields (the code is fixed); ``version`` as for
    tasks."""

    title = serializers.CharField(max_length=200, required=False)
    title_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    issuer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    issued_date = serializers.DateField(required=False, allow_null=True)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    cadence = PlanCadenceField(required=False)
    status = PlanStatusField(required=False)
    units_illustrative = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True, help_text=_("修改说明，记入审计记录"))
    version = version_input_field()
