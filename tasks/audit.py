"""Writing audit events. Called by services inside their transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Model

from tasks.models import AuditEvent, Plan, PlanTask
from units.models import Unit


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
) -> AuditEvent:
    """Append one audit event. Must run inside the caller's transaction so the event and the change land together.

    The unit, plan and task are given as objects or, where the caller has only their ids (a hot path that loads
    nothing more), as ``unit_id``, ``plan_id``, ``task_id``."""
    return AuditEvent.objects.create(
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        actor=actor if actor is not None and actor.is_authenticated else None,
        unit_id=unit.pk if unit is not None else unit_id,
        plan_id=plan.pk if plan is not None else plan_id,
        task_id=task.pk if task is not None else task_id,
        before=jsonable(before or {}),
        after=jsonable(after or {}),
        comment=comment,
    )
