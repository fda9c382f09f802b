"""Serializers of the 督办单, escalation board, 约谈 and 催办 endpoints: inputs validate shape only (the services
decide); outputs render what the selectors read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications.models import InterviewDecision, SupervisionNotice
from notifications.selectors_notices import BOARD_KINDS
from units.api.serializers import UnitRefSerializer, choice_field

NoticeStatusField = choice_field(SupervisionNotice.Status, "NoticeStatusEnum")
InterviewOutcomeField = choice_field(InterviewDecision.Outcome, "InterviewOutcomeEnum")


class NoticeUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class NoticeOutputSerializer(serializers.ModelSerializer):
    """One 督办单 with its steps so far."""

    status = NoticeStatusField(read_only=True, help_text=_(
        "issued 待签收、received 已签收待回复、replied 已回复待审核、returned 回复被退回、accepted 已办结"))
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    unit = UnitRefSerializer(read_only=True)
    subject = serializers.SerializerMethodField(help_text=_("督办的事项：{type: milestone|report, id}"))
    issued_by = NoticeUserSerializer(read_only=True)
    received_by = NoticeUserSerializer(read_only=True, allow_null=True)
    replied_by = NoticeUserSerializer(read_only=True, allow_null=True)
    decided_by = NoticeUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SupervisionNotice
        fields = ["id", "title", "requirements", "status", "status_label", "level", "version", "unit", "plan",
                  "subject", "issued_by", "issued_at", "receipt_due", "reply_due", "received_by", "received_at",
                  "reply", "measures", "replied_by", "replied_at", "times_returned", "return_reason", "decided_by",
                  "decided_at"]
        read_only_fields = fields

    def get_subject(self, notice: SupervisionNotice) -> dict[str, Any]:
        if notice.milestone_id is not None:
            return {"type": "milestone", "id": notice.milestone_id}
        return {"type": "report", "id": notice.report_id}


class NoticeVersionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("客户端读取时的版本；与当前版本不符则返回 409"))


class NoticeReplyInputSerializer(NoticeVersionInputSerializer):
    reply = serializers.CharField(max_length=10000, allow_blank=True, help_text=_("书面回复（必填）"))
    measures = serializers.CharField(max_length=10000, allow_blank=True, required=False, default="",
                                     help_text=_("整改措施"))


class NoticeReturnInputSerializer(NoticeVersionInputSerializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True, help_text=_("退回理由（必填）"))


class NoticeIssueInputSerializer(serializers.Serializer):
    requirements = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="",
                                         help_text=_("督办要求"))


class InterviewInputSerializer(serializers.Serializer):
    outcome = InterviewOutcomeField(help_text=_("held 约谈、not_needed 暂不约谈"))
    minutes = serializers.CharField(max_length=10000, allow_blank=True, help_text=_("约谈纪要或不约谈的理由（必填）"))


class InterviewOutputSerializer(serializers.ModelSerializer):
    outcome = InterviewOutcomeField(read_only=True)
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = InterviewDecision
        fields = ["id", "outcome", "minutes", "unit", "milestone", "report", "decided_by", "decided_at"]
        read_only_fields = fields


class NoticeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = NoticeStatusField(read_only=True)
    version = serializers.IntegerField(read_only=True)


class EscalationOutputSerializer(serializers.Serializer):
    """One overdue item at its rung of the ladder, as of now."""

    id = serializers.IntegerField(read_only=True, help_text=_("事项的跟踪 ID，下发督办单时使用"))
    kind = serializers.ChoiceField(choices=BOARD_KINDS, read_only=True, help_text=_(
        "milestone 节点、fill 待填报、sign_off 待审签、consolidate 待汇总、lead_sign_off 待牵头审签、"
        "notice 督办单逾期"))
    label = serializers.CharField(read_only=True)
    what = serializers.CharField(read_only=True)
    unit_id = serializers.IntegerField(read_only=True, allow_null=True)
    unit_name = serializers.CharField(read_only=True)
    plan_id = serializers.IntegerField(read_only=True)
    due_date = serializers.DateField(read_only=True)
    overdue_days = serializers.IntegerField(read_only=True, help_text=_("逾期工作日数"))
    level = serializers.IntegerField(read_only=True, help_text=_("升级层级：0 提醒，1 催办，2 督办，3 约谈"))
    recommended = serializers.CharField(read_only=True, help_text=_("建议的下一步"))
    url = serializers.CharField(read_only=True)
    milestone_id = serializers.IntegerField(read_only=True, allow_null=True)
    report_id = serializers.IntegerField(read_only=True, allow_null=True)
    notice = NoticeRefSerializer(read_only=True, allow_null=True)
    notice_overdue = serializers.BooleanField(read_only=True)


class ChaseInputSerializer(serializers.Serializer):
    part = serializers.IntegerField(min_value=1, help_text=_("要催办的单位报告 ID（本汇总报告下尚未报送的）"))


class ChaseOutputSerializer(serializers.Serializer):
    part = serializers.IntegerField(source="part_id", read_only=True)
    day = serializers.DateField(read_only=True, help_text=_("本次催办计入的工作日"))
    chased_at = serializers.DateTimeField(read_only=True)


class RoundChaseInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, help_text=_("要催办的单位 ID（本轮尚有未报送的单位报告）"))


class RoundChaseOutputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(read_only=True)
    day = serializers.DateField(read_only=True, help_text=_("本次催办计入的工作日"))
    parts = serializers.ListField(child=serializers.IntegerField(), read_only=True,
                                  help_text=_("本次催办的单位报告 ID（今天已催办过的不再计入）"))
