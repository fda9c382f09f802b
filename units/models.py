"""Units (单位), the tracks (赛道) they are ranked in, and who belongs to them with which role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Track(models.Model):
    """A ranking track: units are only ever compared with units of the same track."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("赛道")
        verbose_name_plural = _("赛道")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name


class Unit(models.Model):
    """A municipal department, district/county or development zone."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("市级部门")
        DISTRICT = "district", _("区")
        COUNTY = "county", _("县")
        AUTONOMOUS_COUNTY = "autonomous_county", _("自治县")
        ZONE = "zone", _("开发区")
        OTHER = "other", _("其他")

    DISTRICT_KINDS = (Kind.DISTRICT, Kind.COUNTY, Kind.AUTONOMOUS_COUNTY)

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("全称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=40, unique=True)
    aliases = models.JSONField(_("别称"), default=list, blank=True, help_text=_("其他常用写法，如“市经信委”"))
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    track = models.ForeignKey(
        Track, verbose_name=_("赛道"), on_delete=models.PROTECT, null=True, blank=True, related_name="units",
        help_text=_("为空则不参加排名"),
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    adcode = models.CharField(_("行政区划代码"), max_length=6, blank=True, default="")
    order = models.PositiveIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="unit_not_own_parent"),
            models.UniqueConstraint(fields=["adcode"], condition=~Q(adcode=""), name="unit_adcode_unique"),
            models.CheckConstraint(
                condition=Q(adcode="") | Q(adcode__regex=r"^[0-9]{6}$"), name="unit_adcode_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The short name people use; the English name in the English UI when we have one."""
        return self.name_en if get_language() == "en" and self.name_en else self.short_name

    @property
    def all_names(self) -> list[str]:
        return [self.name, self.short_name, *self.aliases]


class Membership(models.Model):
    """A user's role in a unit. Units decide what a user may see; roles decide what they may do."""

    class Role(models.TextChoices):
        REPORTER = "reporter", _("填报员")
        HEAD = "head", _("单位负责人")
        SUPERVISOR = "supervisor", _("督查专班")
        LEADER = "leader", _("领导")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["unit__order", "user__username"]
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class MembershipEvent(models.Model):
    """Append-only: who was given or lost which role in which unit, by whom, when.

    Written only by ``units.services`` (``membership_grant`` / ``membership_revoke`` / ``membership_change``), in the
    transaction of the change; read-only everywhere else. The unit directory keeps its own record, below the app's
    audit trail (``tasks.AuditEvent``), because ``units`` imports no other app of ours.
    """

    class Change(models.TextChoices):
        GRANTED = "granted", _("授予")
        REVOKED = "revoked", _("撤销")

    at = models.DateTimeField(_("时间"), auto_now_add=True)
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="membership_events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Membership.Role.choices)
    change = models.CharField(_("变动"), max_length=10, choices=Change.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("为空表示系统（如导入演示数据）"),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("成员变动记录")
        verbose_name_plural = _("成员变动记录")
        indexes = [models.Index(fields=["unit", "-at"], name="membership_event_unit_at")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()} · {self.get_change_display()}"
