"""Reporting rounds and their reports: a unit's part, the lead unit's task report, claims, evidence, revisions,
and the approved indicator values scoring reads. The lifecycle of a report is ``tasks.lifecycle``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.lifecycle import Kind, Status, is_returned, returned_q, step_of
from tasks.models.register import DECIMAL, Indicator, Milestone, Plan, PlanTask
from units.models import Unit


class ReportingRound(models.Model):
    """A reporting round (报送轮次) of a plan for one period, e.g. 2025-Q3 or 2025-07.

    Opening starts one workflow process per active task (a Celery job); the counters
    below show the job's progress. Counts of reports by state are computed, not stored.
    """

    class Status(models.TextChoices):
        OPENING = "opening", _("开启中")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    plan = models.ForeignKey(Plan, verbose_name=_("行动方案"), on_delete=models.PROTECT, related_name="rounds")
    period = models.CharField(_("期次"), max_length=10, help_text=_("如 2025-Q3 或 2025-07"))
    period_start = models.DateField(_("期初"))
    period_end = models.DateField(_("期末"))
    due_date = models.DateField(_("报送截止日期"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPENING)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("开启人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("开启时间"), auto_now_add=True)
    tasks_total = models.PositiveIntegerField(_("任务总数"), default=0)
    tasks_opened = models.PositiveIntegerField(_("已开启任务数"), default=0)
    open_finished_at = models.DateTimeField(_("开启完成时间"), null=True, blank=True)
    # The sweep's due-query: a round still opening whose progress is older than the stall limit is resumed.
    open_progress_at = models.DateTimeField(
        _("开启进度时间"), default=timezone.now, help_text=_("开启任务最近一次推进或重新排队的时间")
    )
    illustrative = models.BooleanField(
        _("示例"), default=False, help_text=_("演示用的示例历史：其中的报告、数值和评比结果都是生成的"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("结束人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("为空表示到期后由系统自动结束"),
    )  # fmt: skip

    class Meta:
        ordering = ["-period_start", "plan_id"]
        verbose_name = _("报送轮次")
        verbose_name_plural = _("报送轮次")
        constraints = [
            models.UniqueConstraint(fields=["plan", "period"], name="round_one_per_plan_period"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="round_period_ordered"),
            models.CheckConstraint(condition=Q(tasks_opened__lte=F("tasks_total")), name="round_progress_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.period}"


class Report(models.Model):
    """A progress report in a round: a unit's part of a task, or the lead unit's consolidated task report.

    One row per (round, task, unit, kind). The status is the step the report waits for; the whole lifecycle
    (who acts on which status, where each action leads) is the table in ``tasks.lifecycle``. Only approved
    reports count anywhere. ``version`` rises with every change (409 on stale writes); ``step_started_at`` is
    when the report entered its current status (reminders count from it). ``due_date``, ``task_sort_key`` and
    ``unit_order`` copy the inbox's sort keys (the round's due date, the task's and the unit's order) so one
    index serves the inbox's first page; ``returned`` — the inbox's first key, returned work on top — is a column
    the database computes from ``status`` and ``times_returned`` by the one rule (``tasks.lifecycle.returned_q``),
    so it cannot drift from them.
    """

    Kind = Kind
    Status = Status

    round = models.ForeignKey(
        ReportingRound, verbose_name=_("报送轮次"), on_delete=models.PROTECT, related_name="reports"
    )
    task = models.ForeignKey(PlanTask, verbose_name=_("任务"), on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    task_report = models.ForeignKey(
        "self", verbose_name=_("任务汇总报告"), on_delete=models.CASCADE, null=True, blank=True, related_name="parts"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices)
    narrative = models.TextField(_("进展情况"), blank=True)
    percent_complete = models.DecimalField(
        _("完成百分比"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时报送"), null=True, blank=True)
    missing_at_close = models.BooleanField(
        _("结束时未报送"), null=True, blank=True, help_text=_("轮次结束时记下：尚未提交为是；轮次未结束为空")
    )
    times_returned = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    # The returns of this report by level (``tasks.lifecycle.RETURN_LEVELS``), kept by the return service with the
    # audit event it writes. A task report that waits again because a supervisor returned one of its parts counts
    # that in ``times_returned`` only: the part was returned, not the task report.
    returns_by_supervisor = models.PositiveSmallIntegerField(_("督查退回次数"), default=0)
    returns_by_lead = models.PositiveSmallIntegerField(_("牵头单位退回次数"), default=0)
    returns_in_unit = models.PositiveSmallIntegerField(_("单位内退回次数"), default=0)
    last_return_reason = models.TextField(_("最近退回理由"), blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审签人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("审签时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("通过时间"), null=True, blank=True)
    step_started_at = models.DateTimeField(_("进入当前环节时间"), default=timezone.now)
    due_date = models.DateField(_("报送截止日期"))
    task_sort_key = models.CharField(max_length=120, editable=False)
    unit_order = models.PositiveIntegerField(default=0, editable=False)
    flow_task_id = models.BigIntegerField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    returned = models.GeneratedField(
        expression=models.Case(models.When(returned_q(), then=models.Value(True)), default=models.Value(False)),
        output_field=models.BooleanField(), db_persist=True, verbose_name=_("被退回"),
    )

    class Meta:
        ordering = ["round_id", "task__sort_key", "kind", "unit__order"]
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        constraints = [
            models.UniqueConstraint(fields=["round", "task", "unit", "kind"], name="report_one_per_round_task_unit"),
            models.CheckConstraint(
                condition=Q(kind="task", task_report__isnull=True) | Q(kind="part", task_report__isnull=False),
                name="report_part_belongs_to_task_report",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False), name="report_approved_has_time"
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__isnull=True) | Q(percent_complete__gte=0, percent_complete__lte=100),
                name="report_percent_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["round", "status"]),
            models.Index(fields=["status", "kind"]),
            # The inbox's order (returned first, then by due date: the overdue come first): its first page is an
            # index walk, not a sort of every open item.
            models.Index(fields=["-returned", "due_date", "task_sort_key", "unit_order", "id"],
                         name="report_inbox_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.round.period} {self.task.code} {self.unit}"

    @property
    def is_returned(self) -> bool:
        return is_returned(status=self.status, times_returned=self.times_returned)

    @property
    def step(self) -> str | None:
        """The human step the report waits for (``tasks.lifecycle``), or None."""
        return step_of(self.status)


class IndicatorClaim(models.Model):
    """A value a report gives for one of its task's indicators."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="indicator_claims")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="claims")
    value = models.DecimalField(_("数值"), **DECIMAL)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("指标填报值")
        verbose_name_plural = _("指标填报值")
        constraints = [models.UniqueConstraint(fields=["report", "indicator"], name="indicator_claim_once")]

    def __str__(self) -> str:
        return f"{self.indicator.code} = {self.value}"


class MilestoneClaim(models.Model):
    """A report's claim that a milestone of its task is completed, with evidence."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="milestone_claims")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="claims")
    completed_date = models.DateField(_("完成日期"))
    evidence = models.TextField(_("佐证说明"), blank=True)

    class Meta:
        verbose_name = _("节点完成申报")
        verbose_name_plural = _("节点完成申报")
        constraints = [models.UniqueConstraint(fields=["report", "milestone"], name="milestone_claim_once")]

    def __str__(self) -> str:
        return f"{self.milestone.code} @ {self.completed_date}"


def attachment_path(instance: ReportAttachment, filename: str) -> str:
    """Generated storage names: never the uploader's file name."""
    return f"reports/{instance.report.round_id}/{uuid.uuid4().hex}{instance.extension}"


class ReportAttachment(models.Model):
    """Evidence attached to a report. The type is detected from the content; the name is generated."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    milestone = models.ForeignKey(Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class ReportRevision(models.Model):
    """Every saved state of a report (append-only): the history behind "what changed"."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report_id", "version"]
        constraints = [models.UniqueConstraint(fields=["report", "version"], name="report_revision_once")]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.version} {self.action}"


class IndicatorValue(models.Model):
    """An approved value of an indicator for a round: what scoring reads. Written only on approval."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    round = models.ForeignKey(ReportingRound, on_delete=models.PROTECT, related_name="indicator_values")
    value = models.DecimalField(_("数值"), **DECIMAL)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("通过时间"))

    class Meta:
        ordering = ["indicator_id", "round_id"]
        verbose_name = _("指标实际值")
        verbose_name_plural = _("指标实际值")
        constraints = [models.UniqueConstraint(fields=["indicator", "round"], name="indicator_value_once_per_round")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.round.period} = {self.value}"
