"""Output of the rule-set API: the stored spec in full, with its legend drawn from the spec."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluation.models import Adjustment, Appeal, Evaluation, RubricScore, RuleSet, UnitResult
from evaluation.rules.reasons import worded
from evaluation.selectors import evaluation_actions


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


class EvaluationOutputSerializer(serializers.ModelSerializer):
    plan = serializers.SerializerMethodField()
    rule_set = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    step = serializers.SerializerMethodField(help_text="the flow step the round waits on; null once ended")
    previous_version = serializers.IntegerField(source="previous_id", read_only=True, allow_null=True,
                                                help_text="id of the previous version of this period, if any")
    next_version = serializers.IntegerField(source="next_id", read_only=True, allow_null=True,
                                            help_text="id of the next version of this period, if any")

    class Meta:
        model = Evaluation
        fields = ["id", "plan", "period", "version", "status", "step", "step_version", "as_of", "rule_set",
                  "units_total", "computed_at", "started_at", "appeal_deadline", "approved_at", "return_reason",
                  "published_at", "previous_version", "next_version", "illustrative", "actions"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"}}})
    def get_plan(self, obj: Evaluation) -> dict:
        return {"id": obj.plan_id, "code": obj.plan.code}

    @extend_schema_field({"type": "string", "nullable": True,
                          "enum": ["compute", "adjust", "appeals", "approval", "publish", None]})  # fmt: skip
    def get_step(self, obj: Evaluation) -> str | None:
        node = getattr(obj, "step_ref", None)  # the open task's node (viewflow's field resolves the stored reference)
        return node.name if node is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj: Evaluation) -> list[str]:
        request = self.context.get("request")
        return evaluation_actions(user=request.user, evaluation=obj) if request is not None else []

    @extend_schema_field(RuleSetRefSerializer)
    def get_rule_set(self, obj: Evaluation) -> dict:
        return {"id": obj.rule_set_id, "code": obj.rule_set.code, "version": obj.rule_set.version}


class EvaluationStartInputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    period = serializers.CharField(max_length=10)


class RankedUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class RankingRowSerializer(serializers.ModelSerializer):
    """One row of a ranking: {rank, unit, track, score, colour, components, veto, rank_change, score_change}."""

    unit = serializers.SerializerMethodField()
    track = serializers.SerializerMethodField()
    components = serializers.SerializerMethodField()

    class Meta:
        model = UnitResult
        fields = ["rank", "unit", "track", "score", "colour", "components", "veto", "rank_change", "score_change"]
        read_only_fields = fields

    @extend_schema_field(RankedUnitSerializer)
    def get_unit(self, obj: UnitResult) -> dict:
        return {"id": obj.unit_id, "code": obj.unit.code, "name": obj.unit.short_name or obj.unit.name}

    @extend_schema_field({"type": "string", "nullable": True})
    def get_track(self, obj: UnitResult) -> str | None:
        return obj.track.code if obj.track_id else None

    @extend_schema_field(
        {"type": "object", "properties": {name: {"type": "string", "nullable": True}
                                          for name in ("F1", "F2", "F3", "F4", "bonus", "deductions")}}
    )  # fmt: skip
    def get_components(self, obj: UnitResult) -> dict:
        breakdown = obj.breakdown
        return {**breakdown.get("components", {}), "bonus": breakdown.get("bonus"),
                "deductions": breakdown.get("deductions")}  # fmt: skip


class UnitBreakdownSerializer(RankingRowSerializer):
    """Why a unit stands where it does: every component with what is behind it, the reasons in words."""

    breakdown = serializers.JSONField()
    reasons = serializers.SerializerMethodField()

    class Meta(RankingRowSerializer.Meta):
        fields = [*RankingRowSerializer.Meta.fields, "enough_data", "breakdown", "reasons"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, obj: UnitResult) -> list[str]:
        return worded(obj.breakdown.get("reasons", []))


class StepInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                       help_text="the evaluation's step_version you read (409 when stale)")  # fmt: skip


class ReturnInputSerializer(StepInputSerializer):
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class AdjustmentInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    code = serializers.CharField(max_length=60)
    count = serializers.IntegerField(min_value=1, max_value=100, default=1)
    evidence = serializers.CharField(max_length=4000, allow_blank=True)
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class AdjustmentOutputSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")

    class Meta:
        model = Adjustment
        fields = ["id", "unit", "code", "count", "evidence", "reason", "by", "at"]
        read_only_fields = fields


class RubricInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    scores = serializers.ListField(child=serializers.IntegerField(min_value=-1000, max_value=1000), max_length=20)
    comment = serializers.CharField(max_length=4000, allow_blank=True)


class RubricOutputSerializer(serializers.ModelSerializer):
    rater = serializers.CharField(source="rater.username")

    class Meta:
        model = RubricScore
        fields = ["id", "unit", "rater", "scores", "comment", "at"]
        read_only_fields = fields


class AppealInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    category = serializers.CharField(max_length=20)
    reason = serializers.CharField(max_length=4000, allow_blank=True)


class AppealResolveInputSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    reply = serializers.CharField(max_length=4000, allow_blank=True)


class AppealOutputSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True, default=None)

    class Meta:
        model = Appeal
        fields = ["id", "evaluation", "unit", "category", "reason", "by", "at", "upheld", "reply", "resolved_by",
                  "resolved_at"]  # fmt: skip
        read_only_fields = fields
