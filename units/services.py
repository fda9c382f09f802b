"""Writes to the unit directory: units and tracks, and who holds which role where. Every function is atomic and
idempotent where it says so."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from units.matching import UnitIndex, UnitNames
from units.models import Membership, MembershipEvent, Track, Unit

DEFAULT_UNITS_FILE = Path(__file__).resolve().parent / "data" / "units.yaml"


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def _upsert(model: type, lookup: dict[str, Any], values: dict[str, Any]) -> str:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        model.objects.create(**lookup, **values)
        return "created"
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    if not changed:
        return "unchanged"
    for field in changed:
        setattr(obj, field, values[field])
    obj.save(update_fields=changed)
    return "updated"


@transaction.atomic
def units_load(*, path: Path = DEFAULT_UNITS_FILE) -> LoadResult:
    """Upsert tracks and units from a units YAML file, keyed by code. Idempotent; never deletes.

    The whole file is checked first (names and aliases must not clash), so a bad
    file writes nothing.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    UnitIndex(
        UnitNames(
            key=row["code"],
            name=row["name"],
            short_name=row["short_name"],
            aliases=tuple(row.get("aliases") or ()),
            kind=row["kind"],
        )
        for row in data["units"]
    )
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for track in data["tracks"]:
        outcome = _upsert(
            Track,
            {"code": track["code"]},
            {"name": track["name"], "name_en": track.get("name_en", ""), "order": track.get("order", 0)},
        )
        counts[outcome] += 1
    tracks = {track.code: track for track in Track.objects.all()}
    for order, row in enumerate(data["units"], start=1):
        outcome = _upsert(
            Unit,
            {"code": row["code"]},
            {
                "name": row["name"],
                "short_name": row["short_name"],
                "aliases": list(row.get("aliases") or []),
                "name_en": row.get("name_en") or "",
                "kind": row["kind"],
                "track": tracks[row["track"]] if row.get("track") else None,
                "adcode": str(row.get("adcode") or ""),
                "order": order,
            },
        )
        counts[outcome] += 1
    return LoadResult(**counts)


def unit_index() -> UnitIndex:
    """A name index over all units (active or not), keyed by unit id, for importers."""
    return UnitIndex(
        UnitNames(key=unit.pk, name=unit.name, short_name=unit.short_name, aliases=tuple(unit.aliases), kind=unit.kind)
        for unit in Unit.objects.order_by("order", "code")
    )


# --- memberships: who holds which role where --------------------------------------------------------------------
#
# Every change of a membership goes through these three (the admin's membership pages and the unit page's inline,
# the demo loader): each is keyword-only and atomic, and writes one ``MembershipEvent`` per role given or taken
# (who, which role, where, by whom, when) in the same transaction. ``actor`` is the person making the change, who
# must hold the Django permission for it (the admin's own check, repeated here so every caller is held to it), or
# None for a loader acting as the system.


def _may(actor: AbstractBaseUser | None, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("你无权修改单位成员。"))


def _record(membership: Membership, change: str, actor: AbstractBaseUser | None) -> None:
    MembershipEvent.objects.create(
        unit_id=membership.unit_id,
        user_id=membership.user_id,
        role=membership.role,
        change=change,
        by=actor if actor is not None and actor.is_authenticated else None,
    )


def _valid_role(role: str) -> str:
    if role not in Membership.Role.values:
        raise ValidationError({"role": [_("没有这个角色。")]})
    return role


@transaction.atomic
def membership_grant(*, actor: AbstractBaseUser | None, user: AbstractBaseUser, unit: Unit, role: str) -> Membership:
    """Give ``user`` the ``role`` in ``unit`` (needs ``units.add_membership``). Idempotent: a role already held is
    returned as it is and records nothing."""
    _may(actor, "units.add_membership")
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=_valid_role(role))
    if created:
        _record(membership, MembershipEvent.Change.GRANTED, actor)
    return membership


@transaction.atomic
def membership_revoke(*, actor: AbstractBaseUser | None, membership_id: int) -> None:
    """Take a membership away (needs ``units.delete_membership``). Idempotent: one already gone records nothing.
    Locks the membership's row."""
    _may(actor, "units.delete_membership")
    membership = Membership.objects.select_for_update().filter(pk=membership_id).first()
    if membership is None:
        return
    membership.delete()
    _record(membership, MembershipEvent.Change.REVOKED, actor)


@transaction.atomic
def membership_change(
    *, actor: AbstractBaseUser | None, membership_id: int, user: AbstractBaseUser, unit: Unit, role: str
) -> Membership:
    """Edit a membership in place (the admin's change form; needs ``units.change_membership``): the role it held is
    recorded as revoked and the new one as granted. Nothing changes or is recorded when it is the same. Locks the
    membership's row; a role the user already holds there is a ValidationError."""
    _may(actor, "units.change_membership")
    membership = Membership.objects.select_for_update().get(pk=membership_id)
    role = _valid_role(role)
    if (membership.user_id, membership.unit_id, membership.role) == (user.pk, unit.pk, role):
        return membership
    if Membership.objects.filter(user=user, unit=unit, role=role).exclude(pk=membership_id).exists():
        raise ValidationError({"role": [_("该用户在此单位已有这个角色。")]})
    _record(membership, MembershipEvent.Change.REVOKED, actor)
    membership.user, membership.unit, membership.role = user, unit, role
    membership.save(update_fields=["user", "unit", "role"])
    _record(membership, MembershipEvent.Change.GRANTED, actor)
    return membership
