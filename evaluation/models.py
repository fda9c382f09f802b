"""Data of the evaluation app: the versioned rule sets (so far)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
