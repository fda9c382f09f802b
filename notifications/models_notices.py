"""People acting on the ladder: the 督办单 (``SupervisionNotice``), a leader's 约谈 decision (``InterviewDecision``)
and a 催办 sent by hand (``ManualChase``). Data and constraints only; writes go through
``notifications.services_notices``, reads through ``notifications.selectors_notices``.

A notice or a decision is about one overdue item — a milestone or a report step — by nullable foreign keys (one of
the two), with the unit that must answer stored beside it (the item's unit when it was issued): the notice stays that
unit's even if the item's owner changes later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.models import Milestone, Plan, Report
from units.models import Unit


def _one_subject(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(milestone__isnull=False, report__isnull=True) | Q(milestone__isnull=True, report__isnull=False),
        name=name)


class SupervisionNotice(models.Model):
    """A 督办单: issued by a supervisor about an overdue item → the unit signs for receipt → replies in writing with
    its measures by ``reply_due`` → the supervisor accepts the reply, or returns it (with a reason) for another.

    ``version`` rises at every step: an action sent with an older version is refused (409). At most one notice per
    item is open (not accepted) at a time."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("待签收")
        RECEIVED = "received", _("已签收，待回复")
        REPLIED = "replied", _("已回复，待审核")
        RETURNED = "returned", _("回复被退回")
        ACCEPTED = "accepted", _("已办结")

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("节点"))
    report = models.ForeignKey(Report, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("报告"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办单位"))
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", verbose_name=_("行动方案"))
    title = models.CharField(_("督办事项"), max_length=300)
    requirements = models.TextField(_("督办要求"), blank=True)
    level = models.PositiveSmallIntegerField(_("升级层级"), default=2)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ISSUED)
    version = models.PositiveIntegerField(_("版本"), default=1)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("下发人"))
    issued_at = models.DateTimeField(_("下发时间"), default=timezone.now)
    receipt_due = models.DateField(_("签收期限"))
    reply_due = models.DateField(_("回复期限"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("签收人"))
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    reply = models.TextField(_("书面回复"), blank=True)
    measures = models.TextField(_("整改措施"), blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("回复人"))
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    times_returned = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    return_reason = models.TextField(_("最近退回理由"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("审核人"))
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        constraints = [
            _one_subject("notice_one_subject"),
            models.UniqueConstraint(fields=["milestone"], condition=~Q(status="accepted"),
                                    name="notice_one_open_per_milestone"),
            models.UniqueConstraint(fields=["report"], condition=~Q(status="accepted"),
                                    name="notice_one_open_per_report"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="notice_unit_status_idx")]

    def __str__(self) -> str:
        return f"督办单 {self.pk} · {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.ACCEPTED


class InterviewDecision(models.Model):
    """A leader's decision on a 约谈 the planner recommended: to hold one (with its minutes) or not (with the
    reason). The planner only recommends; this row is the human decision levels ≥ 2 need."""

    class Outcome(models.TextChoices):
        HELD = "held", _("约谈")
        NOT_NEEDED = "not_needed", _("暂不约谈")

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("节点"))
    report = models.ForeignKey(Report, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("报告"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("约谈单位"))
    outcome = models.CharField(_("决定"), max_length=20, choices=Outcome.choices)
    minutes = models.TextField(_("约谈纪要或理由"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("决定人"))
    decided_at = models.DateTimeField(_("决定时间"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("约谈决定")
        verbose_name_plural = _("约谈决定")
        constraints = [_one_subject("interview_one_subject")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · {self.unit_id}"


class ManualChase(models.Model):
    """A 催办 sent by hand on a missing part of a task report: at most one per part and working day (``day``, the
    working day it counts for), which is the rate limit."""

    part = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位报告"))
    day = models.DateField(_("工作日"))
    chased_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("催办人"))
    chased_at = models.DateTimeField(_("催办时间"), default=timezone.now)

    class Meta:
        ordering = ["-chased_at", "-id"]
        verbose_name = _("人工催办")
        verbose_name_plural = _("人工催办")
        constraints = [models.UniqueConstraint(fields=["part", "day"], name="manual_chase_once_per_day")]

    def __str__(self) -> str:
        return f"{self.part_id} · {self.day}"
