"""Where and when a person's messages go beyond the in-app list: their channel endpoints (``Endpoint``: an e-mail
address, a webhook, a DingTalk or WeCom group robot, a phone for SMS), which kinds of message each channel carries
at once (``Preference``, only the rows that differ from the defaults of ``notifications.preferences``), and their
quiet hours (``QuietHours``). Imported by ``notifications.models``; data and constraints only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChannelName(models.TextChoices):
    """The channels beyond in-app (in-app is always on and needs no endpoint)."""

    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("Webhook")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WECOM = "wecom", _("企业微信群机器人")
    SMS = "sms", _("短信")


class Endpoint(models.Model):
    """One person's address on one channel. ``address``: the e-mail address (blank: the user's own), the webhook or
    robot URL, or the phone number; ``secret``: the webhook's signing key or the DingTalk robot's 加签 secret.
    A permanent delivery error disables it (``enabled`` false, with the reason) and tells its owner in-app; the owner
    enables it again after fixing it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_endpoints",
                             verbose_name=_("用户"))
    channel = models.CharField(_("渠道"), max_length=20, choices=ChannelName.choices)
    address = models.CharField(_("地址"), max_length=500, blank=True)
    secret = models.CharField(_("密钥"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    disabled_reason = models.TextField(_("停用原因"), blank=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="endpoint_one_per_user_channel"),
            models.CheckConstraint(condition=Q(enabled=True) | ~Q(disabled_reason=""),
                                   name="endpoint_disabled_says_why"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.channel}"


class Preference(models.Model):
    """Whether messages of one kind go out at once on one channel (``immediate``), overriding the default
    (``notifications.preferences.DEFAULT_IMMEDIATE``). What does not go out at once waits for the daily digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences", verbose_name=_("用户"))
    kind = models.CharField(_("消息类型"), max_length=20)
    channel = models.CharField(_("渠道"), max_length=20, choices=ChannelName.choices)
    immediate = models.BooleanField(_("即时发送"))

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_one_per_kind_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.kind} · {self.channel}"


class QuietHours(models.Model):
    """A person's quiet hours (Asia/Shanghai): no immediate non-urgent message goes out on a channel beyond in-app
    between ``start`` and ``end`` (across midnight when ``end`` < ``start``); it waits until ``end``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours",
                                verbose_name=_("用户"))
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    class Meta:
        verbose_name = _("免打扰时段")
        verbose_name_plural = _("免打扰时段")
        constraints = [models.CheckConstraint(condition=~Q(start=models.F("end")), name="quiet_hours_not_empty")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.start}–{self.end}"
