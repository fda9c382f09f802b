"""The plan register: plans, the task tree, indicators with interim targets, milestones, and the audit trail.

Only data and constraints live here. Writes go through ``tasks.services``; reads through
``tasks.selectors``. Derived facts (overdue, progress, lights) are computed, not stored; what the
scoring needs later (weights, importance, original due dates, completion dates) is stored once, here.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tasks.codes import code_sort_key
from units.models import Unit

DECIMAL = {"max_digits": 20, "decimal_places": 4}


def version_field() -> models.PositiveIntegerField:
    """The stale-write token of a register row the API can update: 1 when created, +1 in the same UPDATE
    as every change a service saves (``tasks.services``); a write that carries an older one is refused."""
    return models.PositiveIntegerField(
        _("版本"), default=1, editable=False, help_text=_("每次修改加一；写入时带上读到的版本，过期则拒绝")
    )


class Plan(models.Model):
    """An action plan (行动方案) and how often it is reported on."""

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("按月")
        QUARTERLY = "quarterly", _("按季度")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("实施中")
        CLOSED = "closed", _("已结束")

    code = models.SlugField(_("代码"), max_length=60, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    title_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    issuer = models.CharField(_("印发单位"), max_length=200, blank=True)
    issued_date = models.DateField(_("印发日期"), null=True, blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    cadence = models.CharField(_("报送周期"), max_length=20, choices=Cadence.choices, default=Cadence.QUARTERLY)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    units_illustrative = models.BooleanField(
        _("单位分工为示例"), default=False, help_text=_("原文未载明分工时，系统中的牵头/责任单位仅为示例")
    )
    lead_sign_off = models.BooleanField(
        _("汇总报告需牵头单位负责人审签"), default=True,
        help_text=_("开启时，牵头单位汇总后须经本单位负责人审签再送督查审核"),
    )
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = version_field()

    class Meta:
        ordering = ["-start_date", "code"]
        verbose_name = _("行动方案")
        verbose_name_plural = _("行动方案")
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="plan_period_ordered"),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title_en if get_language() == "en" and self.title_en else self.title


class PlanTask(models.Model):
    """A node of a plan's task tree (任务). Top-level nodes are the plan's parts.

    Named ``PlanTask`` because viewflow owns the word ``Task``.
    """

    class Kind(models.TextChoices):
        INDICATOR = "indicator", _("指标类")
        DELIVERABLE = "deliverable", _("成果类")
        QUALITATIVE = "qualitative", _("定性类")

    class Importance(models.TextChoices):
        MAJOR = "major", _("重大")
        NORMAL = "normal", _("一般")

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已办结")

    plan = models.ForeignKey(Plan, verbose_name=_("行动方案"), on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", verbose_name=_("上级任务"), on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    code = models.CharField(_("编号"), max_length=60, help_text=_("如 3.2.1；在方案内唯一"))
    sort_key = models.CharField(max_length=120, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    title = models.CharField(_("任务名称"), max_length=200)
    title_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    text = models.TextField(_("任务内容"), blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.QUALITATIVE)
    importance = models.CharField(_("重要程度"), max_length=10, choices=Importance.choices, default=Importance.NORMAL)
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="led_tasks"
    )
    responsible_units = models.ManyToManyField(
        Unit, verbose_name=_("责任单位"), through="TaskUnit", related_name="contributed_tasks", blank=True
    )
    units_illustrative = models.BooleanField(_("单位分工为示例"), default=False)
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    due_text = models.CharField(_("时限原文"), max_length=60, blank=True, help_text=_("如“持续推进”"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    completed_date = models.DateField(_("办结日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = version_field()

    class Meta:
        ordering = ["plan_id", "sort_key"]
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="task_code_unique_in_plan"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="task_not_own_parent"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(due_date__isnull=True) | Q(start_date__lte=F("due_date")),
                name="task_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="done", completed_date__isnull=False)
                | (~Q(status="done") & Q(completed_date__isnull=True)),
                name="task_done_iff_completed_date",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="task_code_not_empty"),
        ]
        indexes = [
            models.Index(fields=["plan", "parent"]),
            models.Index(fields=["due_date"]),
            # Matches the default ordering, so a page of the register is an index walk, not a sort.
            models.Index(fields=["plan", "sort_key"], name="task_plan_sort_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_title}"

    def save(self, *args, **kwargs) -> None:
        # The sort key and depth are pure functions of the code; keep them in step whoever saves.
        self.sort_key = code_sort_key(self.code)
        self.depth = self.code.count(".")
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        return self.title_en if get_language() == "en" and self.title_en else self.title

    @property
    def responsible_units_in_order(self) -> list[Unit]:
        """Responsible units in their listed order (uses a prefetch of ``task_units__unit`` when present)."""
        return [link.unit for link in self.task_units.all()]

    @property
    def importance_weight(self) -> Decimal:
        """Importance weight used by scoring (DOMAIN.md: 重大 1.5, 一般 1.0)."""
        return Decimal("1.5") if self.importance == self.Importance.MAJOR else Decimal("1.0")


class TaskUnit(models.Model):
    """A responsible unit (责任单位) of a task; the lead unit may be one too."""

    task = models.ForeignKey(PlanTask, on_delete=models.CASCADE, related_name="task_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="task_units")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        constraints = [models.UniqueConstraint(fields=["task", "unit"], name="task_unit_unique")]
        indexes = [models.Index(fields=["unit", "task"])]

    def __str__(self) -> str:
        return f"{self.task.code} · {self.unit}"


class Indicator(models.Model):
    """A quantified target (指标): baseline → target, with interim targets per year."""

    class Direction(models.TextChoices):
        HIGHER = "higher", _("越高越好")
        LOWER = "lower", _("越低越好")

    plan = models.ForeignKey(Plan, verbose_name=_("行动方案"), on_delete=models.CASCADE, related_name="indicators")
    task = models.ForeignKey(PlanTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("编号"), max_length=40)
    name = models.CharField(_("指标名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    unit_of_measure = models.CharField(_("计量单位"), max_length=40)
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    baseline_year = models.PositiveSmallIntegerField(_("基期年份"))
    baseline_value = models.DecimalField(_("基期值"), **DECIMAL)
    baseline_illustrative = models.BooleanField(_("基期值为示例"), default=False)
    target_year = models.PositiveSmallIntegerField(_("目标年份"))
    target_value = models.DecimalField(_("目标值"), **DECIMAL)
    target_text = models.CharField(_("目标原文"), max_length=200, blank=True)
    source = models.CharField(_("数据来源"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    version = version_field()

    class Meta:
        ordering = ["plan_id", "order", "code"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_unique_in_plan"),
            models.CheckConstraint(condition=Q(target_year__gte=F("baseline_year")), name="indicator_years_ordered"),
            models.CheckConstraint(
                condition=Q(baseline_year__gte=1949, baseline_year__lte=2100), name="indicator_baseline_year_sane"
            ),
            models.CheckConstraint(condition=~Q(target_value=F("baseline_value")), name="indicator_target_differs"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name


class IndicatorTarget(models.Model):
    """An interim target (序时目标) of an indicator for one year."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="interim_targets")
    year = models.PositiveSmallIntegerField(_("年份"))
    value = models.DecimalField(_("目标值"), **DECIMAL)
    illustrative = models.BooleanField(_("为示例"), default=False)

    class Meta:
        ordering = ["indicator_id", "year"]
        verbose_name = _("序时目标")
        verbose_name_plural = _("序时目标")
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="indicator_target_one_per_year")]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}: {self.value}"


class Milestone(models.Model):
    """A dated, weighted deliverable (节点) of a task. A moved due date keeps the original."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未完成")
        DONE = "done", _("已完成")

    task = models.ForeignKey(PlanTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones")
    code = models.CharField(_("编号"), max_length=40)
    title = models.CharField(_("节点名称"), max_length=200)
    due_date = models.DateField(_("计划完成日期"))
    original_due_date = models.DateField(_("原定完成日期"), null=True, blank=True, help_text=_("调整后保留的原日期"))
    weight = models.DecimalField(
        _("权重"), max_digits=7, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    target_value = models.DecimalField(_("目标数量"), null=True, blank=True, **DECIMAL)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="milestones"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    completed_date = models.DateField(_("完成日期"), null=True, blank=True)
    completion_report = models.ForeignKey(
        "Report", verbose_name=_("确认完成的报告"), on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("完成只来自审核通过的报告"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    version = version_field()

    class Meta:
        ordering = ["task_id", "due_date", "order", "code"]
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        constraints = [
            models.UniqueConstraint(fields=["task", "code"], name="milestone_code_unique_in_task"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="milestone_weight_positive"),
            models.CheckConstraint(
                condition=Q(status="done", completed_date__isnull=False)
                | (~Q(status="done") & Q(completed_date__isnull=True)),
                name="milestone_done_iff_completed_date",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="milestone_code_not_empty"),
        ]
        indexes = [
            models.Index(fields=["due_date", "status"]),
            models.Index(fields=["owner_unit", "due_date"]),
            models.Index(fields=["task", "due_date", "order", "code"], name="milestone_default_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task.code} · {self.title}"

    @property
    def moved(self) -> bool:
        return self.original_due_date is not None and self.original_due_date != self.due_date


class AuditEvent(models.Model):
    """One append-only record per action: who, in which unit, did what to which object, before → after, why.

    ``unit`` is the unit the event is about (a report's unit; for a change to the register, the editor's
    supervising unit); ``actor_unit`` the unit the actor acted for (``tasks.audit.actor_unit_id``).

    Written only by services (``tasks.audit.audit_record``); read-only everywhere else.
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The unit the actor acted for (a supervisor approving a lead unit's report acts for 督查室, not the lead unit),
    # frozen when the event is written: memberships change later.
    actor_unit = models.ForeignKey(
        Unit, verbose_name=_("操作人单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("动作"), max_length=60)
    object_type = models.CharField(_("对象类型"), max_length=40)
    object_id = models.CharField(_("对象编号"), max_length=40)
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    task = models.ForeignKey(PlanTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    comment = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["task", "-at"]), models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"
