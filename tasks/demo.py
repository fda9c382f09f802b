"""The demo: real units, the Chongqing plan, and one account per role. Idempotent by contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission, User
from django.db import transaction

from units.models import Membership, Unit
from units.services import membership_grant

CHONGQING_PLAN_FILE = Path(__file__).resolve().parent / "data" / "cq-manufacturing-2023-2027.yaml"
CHONGQING_PLAN_CODE = "cq-manufacturing-2023-2027"
DEMO_PASSWORD = "luoshi-demo"
SHANGHAI = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")


def demo_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of the demo's illustrative history, Beijing time."""
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def at_moment(moment: datetime, action: Callable[[], T]) -> T:
    """Run ``action`` with the clock at ``moment`` (``time_machine``): the demo's history goes through the real
    services, which read the clock themselves, so each of its steps happens on its own date. Only the demo does this."""
    with time_machine.travel(moment, tick=False):
        return action()


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    unit: str
    role: str
    staff: bool = False
    superuser: bool = False


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "系统管理员", "市政府办公厅", Membership.Role.SUPERVISOR, staff=True, superuser=True),
    DemoAccount("supervisor", "督查室 王督查", "市政府办公厅", Membership.Role.SUPERVISOR, staff=True),
    DemoAccount("leader", "分管领导 李领导", "市政府办公厅", Membership.Role.LEADER),
    DemoAccount("jxw-reporter", "市经济信息委 填报员 张填报", "市经济信息委", Membership.Role.REPORTER),
    DemoAccount("jxw-head", "市经济信息委 负责人 陈主任", "市经济信息委", Membership.Role.HEAD),
    DemoAccount("fgw-reporter", "市发展改革委 填报员 刘填报", "市发展改革委", Membership.Role.REPORTER),
    DemoAccount("fgw-head", "市发展改革委 负责人 赵主任", "市发展改革委", Membership.Role.HEAD),
    DemoAccount("yubei-reporter", "渝北区 填报员 周填报", "渝北区", Membership.Role.REPORTER),
)

# What a supervisor may configure in the Django admin (no deletes of register data; audit is read-only).
_SUPERVISOR_ADMIN_PERMS = (
    "units.view_track", "units.change_track", "units.add_track",
    "units.view_unit", "units.change_unit", "units.add_unit",
    "units.view_membership", "units.change_membership", "units.add_membership", "units.delete_membership",
    "units.view_membershipevent",
    "tasks.view_plan", "tasks.change_plan", "tasks.add_plan",
    "tasks.view_plantask", "tasks.view_taskunit", "tasks.view_milestone", "tasks.view_indicator",
    "tasks.view_indicatortarget", "tasks.view_auditevent",
    "auth.view_user",
)


@transaction.atomic
def demo_accounts_load(*, password: str = DEMO_PASSWORD) -> list[User]:
    """Create or refresh the demo accounts and their memberships (password reset to the demo one)."""
    users = []
    perms = [
        Permission.objects.get(content_type__app_label=label.split(".")[0], codename=label.split(".")[1])
        for label in _SUPERVISOR_ADMIN_PERMS
    ]
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(username=account.username)
        user.first_name = account.full_name
        user.is_staff = account.staff
        user.is_superuser = account.superuser
        user.set_password(password)
        user.save()
        membership_grant(actor=None, user=user, unit=Unit.objects.get(short_name=account.unit), role=account.role)
        if account.staff and not account.superuser:
            user.user_permissions.add(*perms)
        users.append(user)
    return users


@transaction.atomic
def round_accounts_load(*, unit_ids: set[int], password: str = DEMO_PASSWORD) -> list[str]:
    """A reporter and a head (``<unit-code>-reporter`` / ``-head``, the demo password) for each of ``unit_ids``
    — the units with a part in the demo's open round — so every report loop of the round can be finished with
    demo accounts. Existing accounts keep their names and get the demo password back. Returns the usernames."""
    hashed = make_password(password)  # one hash for all: the same password, and hashing is slow on purpose
    names = []
    for unit in Unit.objects.filter(pk__in=unit_ids).order_by("order", "code"):
        for suffix, label, role in (("reporter", "填报员", Membership.Role.REPORTER),
                                    ("head", "负责人", Membership.Role.HEAD)):
            user, _ = User.objects.get_or_create(username=f"{unit.code}-{suffix}")
            if not user.first_name:
                user.first_name = f"{unit.short_name} {label}（示例）"
            user.password = hashed
            user.save()
            membership_grant(actor=None, user=user, unit=unit, role=role)
            names.append(user.username)
    return names
