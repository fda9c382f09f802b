"""Data of the evaluation app: versioned rule sets, light overrides, each evaluation round with its results,
adjustments, ratings and appeals (the round is routed by ``evaluation.flows.EvaluationFlow``), and the stored daily
task lights (what ``GET /api/tasks/?light=`` filters on)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from evaluation.rules import RuleSpec, RuleSpecError
from tasks.periods import parse_period


class RuleSet(models.Model):
    """A versioned rule spec (every number the judging uses), in force for one plan — or every plan without one
    of its own — from a period on (``evaluation.selectors.active_rule_set`` picks it). A published result keeps the
    spec it was computed with, so a later rule change never alters it."""

    code = models.SlugField(_("代码"), max_length=60)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=200)
    plan = models.ForeignKey(
        "tasks.Plan",
        verbose_name=_("行动方案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_sets",
        help_text=_("留空：适用于没有专门规则的所有方案"),
    )
    effective_from = models.CharField(_("起始期次"), max_length=10, help_text=_("如 2025-Q1 或 2025-01"))
    effective_start = models.DateField(_("起始日期"), editable=False)
    spec = models.JSONField(_("规则"), default=dict, help_text=_("权重、分档、加减分项、颜色图例等；缺省项取默认规则"))
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("评价规则")
        verbose_name_plural = _("评价规则")
        ordering = ["-effective_start", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rule_set_code_version_unique"),
            models.UniqueConstraint(
                fields=["plan", "effective_start"], condition=Q(plan__isnull=False), name="rule_set_plan_start_unique"
            ),
            models.UniqueConstraint(
                fields=["effective_start"], condition=Q(plan__isnull=True), name="rule_set_general_start_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code} v{self.version}）"

    def save(self, *args, **kwargs) -> None:
        if self.effective_from and not self.effective_start:
            self.effective_start = parse_period(self.effective_from).start
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            period = parse_period(self.effective_from)
            self.effective_from, self.effective_start = period.code, period.start
        except ValueError as error:
            errors["effective_from"] = [str(error)]
        try:
            self.spec = RuleSpec.from_data(self.spec).to_data()
        except RuleSpecError as error:
            errors["spec"] = [f"{path}: {message}" for path, message in error.errors.items()]
        if errors:
            raise ValidationError(errors)

    @property
    def rules(self) -> RuleSpec:
        """The spec as rules can use it (stored specs are checked on the way in; missing keys take the defaults)."""
        return RuleSpec.from_data(self.spec)


class LightOverride(models.Model):
    """A supervisor's judgement of a task's light, one level from the computed one, with a written reason. It is
    shown beside the computed light, never instead of it, and only while the computed light is still the one it was
    given against (``computed``). Every override is audited; the latest one counts."""

    task = models.ForeignKey(
        "tasks.PlanTask", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="light_overrides"
    )
    computed = models.CharField(_("计算灯色"), max_length=10)
    colour = models.CharField(_("调整后灯色"), max_length=10)
    reason = models.TextField(_("调整理由"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("调整人"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("灯色调整")
        verbose_name_plural = _("灯色调整")
        ordering = ["task_id", "-at", "-pk"]
        indexes = [models.Index(fields=["task", "-at"], name="light_override_latest_idx")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.computed} → {self.colour}"


class Evaluation(models.Model):
    """One 赛马比拼 round of a plan for a period: a snapshot of every input and result, computed as of a day with the
    rule set in force (its spec is copied here, so a later rule change never alters this result). Republishing a
    period makes a new version; old versions stay readable."""

    class Status(models.TextChoices):
        COMPUTING = "computing", _("计算中")
        ADJUSTING = "adjusting", _("调整与评分")
        APPEALS = "appeals", _("申诉期")
        APPROVAL = "approval", _("待领导审定")
        APPROVED = "approved", _("领导已审定")
        PUBLISHED = "published", _("已发布")

    plan = models.ForeignKey("tasks.Plan", verbose_name=_("行动方案"), on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("期次"), max_length=10)
    period_start = models.DateField(_("期初"))
    period_end = models.DateField(_("期末"))
    version = models.PositiveIntegerField(_("版本"), default=1)
    as_of = models.DateField(_("数据截至"))
    rule_set = models.ForeignKey(RuleSet, verbose_name=_("评价规则"), on_delete=models.PROTECT, related_name="+")
    spec = models.JSONField(_("规则快照"), default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.COMPUTING)
    units_total = models.PositiveIntegerField(_("单位总数"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    # When the compute job was last queued: a job lost (broker down at commit, worker gone) is queued again by the
    # beat's sweep once this is old enough (``services.evaluation_compute_resume_stalled``), claimed on its value.
    compute_queued_at = models.DateTimeField(_("计算排队时间"), null=True, blank=True, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    appeal_deadline = models.DateField(_("申诉截止日期"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审定人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)
    step_version = models.PositiveIntegerField(_("版本号"), default=1, help_text=_("每一步都加一；过期的操作得到 409"))
    illustrative = models.BooleanField(_("示例"), default=False, help_text=_("根据演示用的示例历史评出"))
    process = models.OneToOneField(
        Process, verbose_name=_("流程"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("本轮在流程引擎中的实例（EvaluationFlow）"),
    )

    class Meta:
        verbose_name = _("赛马比拼")
        verbose_name_plural = _("赛马比拼")
        ordering = ["plan_id", "-period_start", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period", "version"], name="evaluation_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.period} v{self.version}"


class EvaluationProcess(Process):
    """Proxy over viewflow's Process; ``data["evaluation"]`` is the id of the evaluation the process routes."""

    class Meta:
        proxy = True
        verbose_name = "evaluation process"

    @property
    def evaluation_id(self) -> int:
        return int(self.data["evaluation"])


class UnitResult(models.Model):
    """A unit's score, rank and colour in an evaluation, with everything behind them (the breakdown)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="unit_results")
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    track = models.ForeignKey(
        "units.Track", verbose_name=_("赛道"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField(_("排名"), null=True)
    colour = models.CharField(_("颜色"), max_length=10)
    veto = models.BooleanField(_("一票否决"), default=False)
    enough_data = models.BooleanField(_("数据充足"), default=True)
    score_change = models.DecimalField(_("得分变化"), max_digits=7, decimal_places=2, null=True)
    rank_change = models.IntegerField(_("名次变化"), null=True)
    breakdown = models.JSONField(_("明细"), default=dict)

    class Meta:
        verbose_name = _("单位得分")
        verbose_name_plural = _("单位得分")
        ordering = ["evaluation_id", "track_id", "rank", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "unit"], name="unit_result_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.score} #{self.rank} {self.colour}"


class LightRecord(models.Model):
    """A task's light as ``evaluation.rules.task_light`` gave it: colour, E, A, days overdue, missed rounds, and the
    reasons as codes and values (worded when shown)."""

    colour = models.CharField(_("灯色"), max_length=10)
    expected = models.DecimalField(_("序时进度"), max_digits=5, decimal_places=1)
    actual = models.DecimalField(_("实际进度"), max_digits=5, decimal_places=1)
    overdue_days = models.PositiveIntegerField(_("逾期天数"), default=0)
    missed_rounds = models.PositiveIntegerField(_("未报送轮次"), default=0)
    reasons = models.JSONField(_("原因"), default=list)

    class Meta:
        abstract = True

    @staticmethod
    def of(light) -> dict:
        """The fields of an ``evaluation.rules.Light`` (reasons as plain data: Decimals as strings)."""
        return {
            "colour": str(light.colour),
            "expected": light.expected,
            "actual": light.actual,
            "overdue_days": light.overdue_days,
            "missed_rounds": light.missed_rounds,
            "reasons": [{"code": reason.code, "values": plain(reason.values)} for reason in light.reasons],
        }


def plain(values: dict) -> dict:
    """Reason values as JSON: Decimals as strings."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in values.items()}


class TaskResult(LightRecord):
    """A task's light in an evaluation (frozen with it)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="task_results")
    task = models.ForeignKey("tasks.PlanTask", verbose_name=_("任务"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("任务灯色")
        verbose_name_plural = _("任务灯色")
        ordering = ["evaluation_id", "task_id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "task"], name="task_result_unique")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.colour}"


class Adjustment(models.Model):
    """A bonus or deduction item a supervisor gives a unit in an evaluation, with evidence and a reason."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="adjustments")
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("加减分项"), max_length=60)
    count = models.PositiveSmallIntegerField(_("次数"), default=1)
    evidence = models.TextField(_("佐证"))
    reason = models.TextField(_("理由"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("添加人"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("添加时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("加减分")
        verbose_name_plural = _("加减分")
        ordering = ["evaluation_id", "unit_id", "at"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.code} × {self.count}"


class RubricScore(models.Model):
    """One supervisor's rubric scores (F4) for a unit in an evaluation: one score per criterion, with a comment."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="rubric_scores")
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评分人"), on_delete=models.PROTECT)
    scores = models.JSONField(_("各项评分"))
    comment = models.TextField(_("评语"))
    at = models.DateTimeField(_("评分时间"), auto_now=True)

    class Meta:
        verbose_name = _("督查评分")
        verbose_name_plural = _("督查评分")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "unit", "rater"], name="rubric_once_per_rater"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} by {self.rater_id}: {self.scores}"


class Appeal(models.Model):
    """A unit's appeal against its draft result, in the appeal window; every appeal gets a written reply."""

    class Category(models.TextChoices):
        DATA = "data", _("数据有误")
        RULE = "rule", _("规则适用有误")
        ADJUSTMENT = "adjustment", _("加减分有误")
        OTHER = "other", _("其他")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="appeals")
    unit = models.ForeignKey("units.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    reason = models.TextField(_("申诉理由"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申诉人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("申诉时间"), auto_now_add=True)
    upheld = models.BooleanField(_("是否支持"), null=True)
    reply = models.TextField(_("答复"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["evaluation_id", "at"]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.get_category_display()}"


class LightDay(models.Model):
    """The lights of every task of a plan were computed and stored for a day (``evaluation.lights``): the marker a
    reader checks before trusting the stored lights of that plan and day, and the row a computation locks (one
    computation of a plan's day at a time)."""

    plan = models.ForeignKey("tasks.Plan", verbose_name=_("行动方案"), on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField(_("灯色日期"))
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("评价规则"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tasks_total = models.PositiveIntegerField(_("任务数"), default=0)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("每日灯色")
        verbose_name_plural = _("每日灯色")
        ordering = ["plan_id", "-as_of"]
        constraints = [models.UniqueConstraint(fields=["plan", "as_of"], name="light_day_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id} @ {self.as_of}"


class LightChange(models.Model):
    """A change of a plan's light facts not yet applied to its stored lights of today (an outbox row, written in the
    transaction that changed the facts): ``evaluation.lights`` applies and deletes it — the refresh job queued on
    commit, or the first reader that finds it pending — so a stored light never outlives its facts, even when the
    job is lost."""

    plan = models.ForeignKey("tasks.Plan", verbose_name=_("行动方案"), on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(
        "tasks.PlanTask", verbose_name=_("任务"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text=_("留空：方案的每项任务"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待更新灯色")
        verbose_name_plural = _("待更新灯色")
        indexes = [models.Index(fields=["plan", "id"], name="light_change_plan_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.task_id or '*'}"


class StoredLight(LightRecord):
    """A task's computed light on a day, as ``evaluation.rules.task_light`` gave it (never an override): colour, E, A,
    days overdue, missed rounds and the reasons as codes and values (worded when shown). Written only by
    ``evaluation.lights``, whole per plan and day, and refreshed for today when the task's facts change."""

    plan = models.ForeignKey("tasks.Plan", verbose_name=_("行动方案"), on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey("tasks.PlanTask", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField(_("灯色日期"))

    class Meta:
        verbose_name = _("任务每日灯色")
        verbose_name_plural = _("任务每日灯色")
        ordering = ["plan_id", "as_of", "task_id"]
        constraints = [models.UniqueConstraint(fields=["task", "as_of"], name="stored_light_task_day_unique")]
        # "Which tasks of this plan are red on this day?": answered from the index alone (task_id included).
        # "Which tasks are red on this day?" (``?light=`` counting its list, the plans implied by the tasks): the day's
        # rows of one colour, not every day's; a task's own light is the unique (task, as_of).
        indexes = [
            models.Index(fields=["plan", "as_of", "colour", "task"], name="stored_light_lookup_idx"),
            models.Index(fields=["as_of", "colour", "task"], name="stored_light_day_colour_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} @ {self.as_of}: {self.colour}"
