"""Writing audit events. Called by services inside their transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model

from tasks.models import AuditEvent, Plan, PlanTask
from units.models import Membership, Unit
from units.selectors import user_scope


def jsonable(value: Any) -> Any:
    """Dates, decimals and model instances as JSON-safe values for before/after snapshots."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Fixed-point without trailing zeros: Decimal("200.0000") → "200", never "2E+2".
        return format(value.normalize(), "f")
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    return value


def actor_unit_id(actor: AbstractBaseUser | None, *, unit_id: int | None = None,
                  lead_unit_id: int | None = None) -> int | None:
    """The unit the actor acted for: the event's own unit if the actor belongs to it; else the task's lead unit if
    they belong to that (the lead unit returning a part); else the unit where they supervise; else their one unit
    (the lowest id if several). None for no actor, or an actor of no unit (a superuser). No query once the actor's
    scope is loaded (every service loads it to check the actor)."""
    if actor is None or not actor.is_authenticated:
        return None
    scope = user_scope(actor)
    for candidate in (unit_id, lead_unit_id):
        if candidate is not None and candidate in scope.unit_ids:
            return candidate
    supervising = sorted(uid for uid, role in scope.roles_by_unit if role == Membership.Role.SUPERVISOR)
    if supervising:
        return supervising[0]
    return min(scope.unit_ids) if scope.unit_ids else None


def audit_record(
    *,
    action: str,
    obj: Model,
    actor: AbstractBaseUser | None = None,
    unit: Unit | None = None,
    plan: Plan | None = None,
    task: PlanTask | None = None,
    unit_id: int | None = None,
    plan_id: int | None = None,
    task_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    comment: str = "",
    lead_unit_id: int | None = None,
) -> AuditEvent:
    """Append one audit event. Must run inside the caller's transaction so the event and the change land together.

    The unit, plan and task are given as objects or, where the caller has only their ids (a hot path that loads
    nothing more), as ``unit_id``, ``plan_id``, ``task_id``. The actor's own unit is recorded with it
    (``actor_unit_id``; ``lead_unit_id``, the task's lead unit, when the caller has it)."""
    event_unit_id = unit.pk if unit is not None else unit_id
    return AuditEvent.objects.create(
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        actor=actor if actor is not None and actor.is_authenticated else None,
        unit_id=event_unit_id,
        actor_unit_id=actor_unit_id(actor, unit_id=event_unit_id, lead_unit_id=lead_unit_id),
        plan_id=plan.pk if plan is not None else plan_id,
        task_id=task.pk if task is not None else task_id,
        before=jsonable(before or {}),
        after=jsonable(after or {}),
        comment=comment,
    )
