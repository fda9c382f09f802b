"""Serializers of the notifications API: output only (nothing about a notification is written through the API but
its reading time, which the services set)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications.models import Delivery, Notification
from units.api.serializers import UnitRefSerializer, choice_field

NotificationKindField = choice_field(Notification.Kind, "NotificationKindEnum")


class DeliveryOutputSerializer(serializers.Serializer):
    """One channel's delivery of a message: the message's delivery log."""

    channel = serializers.CharField(read_only=True, help_text=_("in_app、email、webhook、dingtalk、wecom、sms"))
    status = serializers.ChoiceField(choices=Delivery.Status.choices, read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    next_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)


class NotificationOutputSerializer(serializers.ModelSerializer):
    """One message to the signed-in user."""

    kind = NotificationKindField(read_only=True, help_text=_(
        "reminder 提醒、stale 久未处理、chase 催办、supervise 建议督办、interview 建议约谈、notice 督办单、"
        "returned 退回、digest 每日汇总、weekly 每周简报、channel 渠道停用"))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    level = serializers.IntegerField(read_only=True, help_text=_("升级层级：0 提醒，1 催办，2 督办，3 约谈"))
    unit = UnitRefSerializer(read_only=True, allow_null=True)
    subject = serializers.SerializerMethodField(
        help_text=_("消息所涉对象：{type: milestone|report, id}；对象已删除时为 null"))
    unread = serializers.SerializerMethodField()
    deliveries = DeliveryOutputSerializer(many=True, read_only=True, help_text=_("各渠道的投递记录"))

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "level", "role", "title", "body", "url", "subject", "unit",
                  "illustrative", "created_at", "read_at", "unread", "deliveries"]
        read_only_fields = fields

    def get_subject(self, notification: Notification) -> dict[str, Any] | None:
        if notification.milestone_id is not None:
            return {"type": "milestone", "id": notification.milestone_id}
        if notification.report_id is not None:
            return {"type": "report", "id": notification.report_id}
        return None

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None


class ReadAllOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text=_("这次标为已读的条数"))
