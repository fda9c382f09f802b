"""Reminders: what the sweep watches (``Watch``), the messages it writes (``Notification``), one delivery per message
and channel (``Delivery``, the outbox), and the policy the admin may change (``ReminderPolicy``).

Only data and constraints live here. The planner (``notifications.planner``) decides what is due; writes go through
``notifications.services``; reads through ``notifications.selectors``.

The subject of a watch or a message is a milestone or a report, by nullable foreign keys (one of the two): the
database keeps them honest, and the pages join them without a lookup table. ``tasks`` never imports this app, so the
``next_reminder_at`` column the sweep's due-query needs lives here, one ``Watch`` row per subject, and not on the
register's tables.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications import planner
from notifications.models_delivery import ChannelName, Endpoint, Preference, QuietHours
from tasks.models import Milestone, Report
from units.models import Unit

__all__ = ["ChannelName", "Delivery", "Endpoint", "Notification", "Preference", "QuietHours", "ReminderPolicy", "Watch"]


class Watch(models.Model):
    """One open milestone or report the sweep keeps an eye on, and when it must look again.

    ``next_reminder_at`` is when the item's next occasion falls due (None: none will); ``is_open`` turns false when
    the sweep finds the subject done (or its step passed), and true again when a change touches it. ``planned_until``:
    the sweep handled every occasion up to then (None after a touch: plan afresh; the messages' unique keys keep a
    re-plan from sending twice). ``touched_at`` is the token of the last touch: the sweep writes its result back only
    if it is unchanged, so a change made while a row was being planned is planned again, not overwritten.
    """

    # No index of their own: the unique constraints below are that index (a second one cost every write-back).
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                  verbose_name=_("节点"), db_index=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               verbose_name=_("报告"), db_index=False)
    is_open = models.BooleanField(_("办理中"), default=True)
    next_reminder_at = models.DateTimeField(_("下次提醒时间"), null=True, blank=True)
    planned_until = models.DateTimeField(_("已处理至"), null=True, blank=True)
    touched_at = models.DateTimeField(_("最近变动时间"), default=timezone.now)
    failures = models.PositiveSmallIntegerField(_("连续失败次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("提醒跟踪")
        verbose_name_plural = _("提醒跟踪")
        constraints = [
            models.CheckConstraint(
                condition=Q(milestone__isnull=False, report__isnull=True) | Q(milestone__isnull=True,
                                                                             report__isnull=False),
                name="watch_one_subject",
            ),
            models.UniqueConstraint(fields=["milestone"], name="watch_one_per_milestone"),
            models.UniqueConstraint(fields=["report"], name="watch_one_per_report"),
        ]
        indexes = [
            # The sweep's due-query: open rows whose time has come, earliest first. Closed rows stay out of it.
            models.Index(fields=["next_reminder_at"], condition=Q(is_open=True), name="watch_due_idx"),
        ]

    def __str__(self) -> str:
        return f"milestone {self.milestone_id}" if self.milestone_id else f"report {self.report_id}"


class Notification(models.Model):
    """A message to one person (in-app, and later by the other channels): one per subject, recipient, kind and slot
    (``key``), so the same occasion is never told twice. The text is written when the message is (in the site's
    language) and not changed afterwards."""

    class Kind(models.TextChoices):
        REMINDER = planner.Kind.REMINDER, _("提醒")
        STALE = planner.Kind.STALE, _("久未处理")
        CHASE = planner.Kind.CHASE, _("催办")
        SUPERVISE = planner.Kind.SUPERVISE, _("建议督办")
        INTERVIEW = planner.Kind.INTERVIEW, _("建议约谈")
        NOTICE = "notice", _("督办单")  # a step of a 督办单 (notifications.services_notices), not a planner occasion
        RETURNED = planner.Kind.RETURNED, _("退回")
        # Messages about no register item: the daily digest, and a channel a permanent error disabled.
        DIGEST = "digest", _("每日汇总")
        WEEKLY = "weekly", _("每周简报")  # the leadership's weekly briefing (notifications.briefing)
        CHANNEL = "channel", _("渠道停用")

    # Indexed by ``notification_recipient_idx`` (recipient first), not again on its own.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("接收人"), db_index=False)
    role = models.CharField(_("接收身份"), max_length=20, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("单位"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("升级层级"), default=0)
    slot = models.CharField(_("时点"), max_length=80)
    key = models.CharField(_("唯一键"), max_length=200)  # unique: ``notification_key_unique``
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    milestone = models.ForeignKey(Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("节点"))
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("报告"))
    # A step of a 督办单 (with the milestone or report it is about left empty): what the outbox checks again.
    notice = models.ForeignKey("notifications.SupervisionNotice", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("督办单"))
    illustrative = models.BooleanField(_("示例"), default=False, help_text=_("关于示例分工或示例历史的消息"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.CheckConstraint(condition=Q(milestone__isnull=True) | Q(report__isnull=True),
                                   name="notification_at_most_one_subject"),
            # A constraint rather than ``unique=True``: on PostgreSQL that adds a second index for LIKE lookups,
            # which nothing makes and every message written would keep up.
            models.UniqueConstraint(fields=["key"], name="notification_key_unique"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The navigation's unread count on every page.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def make_key(*, subject: str, recipient_id: int, kind: str, slot: str) -> str:
        """The one spelling of the unique key: ``milestone:12|user:3|chase|milestone:overdue-1wd:2025-10-10``."""
        return f"{subject}|user:{recipient_id}|{kind}|{slot}"


class Delivery(models.Model):
    """One notification on one channel: written, pending, in the transaction that writes the notification, before
    anything is sent; its id is the idempotency key a channel sends along. The delivery stage claims due rows,
    checks again that the message still stands, sends outside any transaction and records the outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败，将重试")
        PERMANENT = "permanent", _("发送失败，不再重试")
        CANCELLED = "cancelled", _("已取消")

    # Indexed by ``delivery_once_per_channel`` (notification first), not again on its own.
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name=_("通知"), db_index=False)
    channel = models.CharField(_("渠道"), max_length=20)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["notification_id", "channel"]
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
            models.CheckConstraint(condition=~Q(status="sent") | Q(sent_at__isnull=False),
                                   name="delivery_sent_has_time"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["pending", "failed"]),
                         name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} · {self.channel} · {self.status}"


def _days_list(value: str) -> tuple[int, ...]:
    parts = [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        raise ValidationError({"days_before": [_("请填写以逗号分隔的天数，如 7,3,1")]}) from None


class ReminderPolicy(models.Model):
    """The reminder policy, editable in the admin: at most one row (none: the defaults of ``planner.Policy``).
    A change applies from the sweep's next run; messages already written stay as they are."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    days_before = models.CharField(_("提前提醒（天）"), max_length=60, default="7,3,1",
                                   help_text=_("到期前几天提醒，逗号分隔；按自然日计算"))
    on_due_day = models.BooleanField(_("到期当天提醒"), default=True)
    chase_after = models.PositiveSmallIntegerField(_("催办（逾期工作日）"), default=1)
    supervise_after = models.PositiveSmallIntegerField(_("建议督办（逾期工作日）"), default=8)
    interview_after = models.PositiveSmallIntegerField(_("建议约谈（逾期工作日）"), default=16)
    stale_after = models.PositiveSmallIntegerField(
        _("久未处理提醒（工作日）"), default=5,
        help_text=_("没有截止日期的事项（如督查审核）等待多少个工作日提醒一次；0 为不提醒"))
    max_lateness_days = models.PositiveSmallIntegerField(
        _("补发期限（天）"), default=30, validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("错过的提醒超过这么多天就不再补发"))
    send_at = models.TimeField(_("发送时刻"), default=time(8, 30), help_text=_("北京时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("提醒规则")
        verbose_name_plural = _("提醒规则")

    def __str__(self) -> str:
        return str(_("提醒规则"))

    def as_policy(self) -> planner.Policy:
        """The planner's policy; ``ValidationError`` naming the field when it cannot work."""
        try:
            return planner.Policy(
                days_before=_days_list(self.days_before), on_due_day=self.on_due_day, chase_after=self.chase_after,
                supervise_after=self.supervise_after, interview_after=self.interview_after,
                stale_after=self.stale_after, max_lateness_days=self.max_lateness_days, send_at=self.send_at,
            )
        except planner.PolicyError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None

    def clean(self) -> None:
        self.as_policy()


from notifications.models_notices import InterviewDecision, ManualChase, SupervisionNotice  # noqa: E402

__all__ = ["Delivery", "InterviewDecision", "ManualChase", "Notification", "ReminderPolicy", "SupervisionNotice",
           "Watch"]
