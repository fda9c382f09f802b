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
