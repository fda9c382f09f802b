"""Output of the rule-set API: the stored spec in full, with its legend drawn from the spec."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluation.models import RuleSet


class SwatchSerializer(serializers.Serializer):
    colour = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    meaning = serializers.CharField()
    hex = serializers.CharField()
    order = serializers.IntegerField()


class RuleSetOutputSerializer(serializers.ModelSerializer):
    plan = serializers.SerializerMethodField()
    spec = serializers.SerializerMethodField()
    legend = serializers.SerializerMethodField()

    class Meta:
        model = RuleSet
        fields = ["id", "code", "version", "name", "plan", "effective_from", "spec", "legend", "note", "created_at"]
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "nullable": True, "properties": {"id": {"type": "integer"}, "code": {"type": "string"}}}
    )
    def get_plan(self, obj: RuleSet) -> dict | None:
        return None if obj.plan is None else {"id": obj.plan_id, "code": obj.plan.code}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_spec(self, obj: RuleSet) -> dict:
        """The full spec (defaults filled in), numbers as decimal strings."""
        return obj.rules.to_data()

    @extend_schema_field(SwatchSerializer(many=True))
    def get_legend(self, obj: RuleSet) -> list[dict]:
        return [SwatchSerializer(swatch).data for swatch in obj.rules.legend()]


class LightOverrideOutputSerializer(serializers.Serializer):
    colour = serializers.CharField()
    computed = serializers.CharField()
    reason = serializers.CharField()
    by = serializers.CharField()
    at = serializers.DateTimeField()


class RuleSetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    version = serializers.IntegerField()


class TaskLightOutputSerializer(serializers.Serializer):
    """A task's light: the colour, its three tests, the reasons in words, and a supervisor's override beside it."""

    task = serializers.IntegerField(source="task_id")
    as_of = serializers.DateField()
    colour = serializers.CharField(source="light.colour")
    expected = serializers.DecimalField(source="light.expected", max_digits=6, decimal_places=1)
    actual = serializers.DecimalField(source="light.actual", max_digits=6, decimal_places=1)
    gap = serializers.DecimalField(source="light.gap", max_digits=6, decimal_places=1)
    overdue_days = serializers.IntegerField(source="light.overdue_days")
    missed_rounds = serializers.IntegerField(source="light.missed_rounds")
    tests = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    override = LightOverrideOutputSerializer(allow_null=True)
    rule_set = RuleSetRefSerializer(allow_null=True)

    @extend_schema_field(
        {
            "type": "object",
            "properties": {name: {"type": "string"} for name in ("gap", "overdue_days", "missed_rounds")},
        }
    )
    def get_tests(self, obj) -> dict[str, str]:
        return {name: str(colour) for name, colour in obj.light.tests}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, obj) -> list[str]:
        return [reason.text for reason in obj.light.reasons]


class LightOverrideInputSerializer(serializers.Serializer):
    colour = serializers.CharField(max_length=10)
    reason = serializers.CharField(max_length=2000, allow_blank=True)
