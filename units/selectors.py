"""Scoped reads about units and what a user may see and do.

Every page and API view asks ``user_scope(user)`` once per request; it is cached
on the user object so repeated checks cost no queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from units.models import Membership, MembershipEvent, Track, Unit

_CACHE_ATTR = "_luoshi_scope"


@dataclass(frozen=True)
class Scope:
    """What one user is: the units they belong to and their roles there."""

    user_id: int | None
    unit_ids: frozenset[int]
    roles_by_unit: tuple[tuple[int, str], ...]
    is_superuser: bool = False

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for _, role in self.roles_by_unit)

    @property
    def is_supervisor(self) -> bool:
        """Supervisors (专班/督查室) configure the register and review; superusers count as supervisors."""
        return self.is_superuser or Membership.Role.SUPERVISOR in self.roles

    @property
    def is_leader(self) -> bool:
        return Membership.Role.LEADER in self.roles

    @property
    def sees_all_units(self) -> bool:
        """Supervisors and leadership look across units; reporters and heads see their own units' work."""
        return self.is_supervisor or self.is_leader

    def has_role(self, unit_id: int, role: str) -> bool:
        return (unit_id, role) in self.roles_by_unit


ANONYMOUS = Scope(user_id=None, unit_ids=frozenset(), roles_by_unit=())


def user_scope(user: AbstractBaseUser | AnonymousUser) -> Scope:
    """The acting user's scope (one query, then cached on the user object for the request)."""
    if not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    pairs = tuple(
        Membership.objects.filter(user=user, unit__active=True)
        .order_by("unit_id", "role")
        .values_list("unit_id", "role")
    )
    scope = Scope(
        user_id=user.pk,
        unit_ids=frozenset(unit_id for unit_id, _ in pairs),
        roles_by_unit=pairs,
        is_superuser=bool(getattr(user, "is_superuser", False)),
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def unit_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Unit]:
    """Units a signed-in user may look up: the directory of units is visible to every signed-in user."""
    if not user.is_authenticated:
        return Unit.objects.none()
    return Unit.objects.select_related("track", "parent")


def track_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Track]:
    """Tracks with their active units, for grouping pages and rankings."""
    if not user.is_authenticated:
        return Track.objects.none()
    return Track.objects.prefetch_related(
        Prefetch("units", queryset=Unit.objects.filter(active=True).order_by("order", "code"))
    )


def user_memberships(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Membership]:
    """The acting user's own memberships, with units."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("unit")


def membership_history(*, user: AbstractBaseUser | AnonymousUser, unit: Unit) -> QuerySet[MembershipEvent]:
    """Who was given or lost which role in ``unit``, by whom and when, newest first (with the users): for the unit's
    own members and for supervisors; nobody else (leaders included) sees who holds roles where."""
    scope = user_scope(user)
    if scope.user_id is None or not (scope.is_supervisor or unit.pk in scope.unit_ids):
        return MembershipEvent.objects.none()
    return MembershipEvent.objects.filter(unit=unit).select_related("user", "by").order_by("-at", "-id")
