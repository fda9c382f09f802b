"""Writes of the evaluation app: keyword-only, atomic, audited; each checks the acting user itself."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from evaluation.models import LightOverride
from evaluation.rules import Colour, one_level_apart
from evaluation.selectors import task_light_get
from tasks.audit import audit_record
from tasks.models import PlanTask
from units.selectors import user_scope

REASON_MAX = 2000


def light_override(*, actor, task_id: int, colour: str, reason: str, today: date) -> LightOverride:
    """A supervisor moves a task's light one level from today's computed light, with a written reason (audited).

    Only supervisors; the task must be readable (404 otherwise); the colour must be one level from the computed one
    along green → yellow → orange → red (blue and grey are facts: 400). Locks the task row so two overrides at once
    are applied one after the other, each against the light it saw."""
    if not user_scope(actor).is_supervisor:
        raise PermissionDenied(_("只有督查专班可以调整灯色。"))
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请写明调整理由。")]
    elif len(reason) > REASON_MAX or "\x00" in reason:
        errors["reason"] = [_("理由不超过 %(max)s 字，且不能含控制字符。") % {"max": REASON_MAX}]
    try:
        wanted = Colour(colour)
    except ValueError:
        errors["colour"] = [_("灯色应为 green、yellow、orange 或 red。")]
        wanted = None
    with transaction.atomic():
        task = PlanTask.objects.select_for_update(of=("self",)).filter(pk=task_id).first()
        current = task_light_get(user=actor, task_id=task_id, as_of=today)  # 404 when out of sight
        computed = current.light.colour
        if wanted is not None and not one_level_apart(computed, wanted):
            errors["colour"] = [
                _("只能在计算灯色（%(computed)s）的基础上调整一级，且蓝、灰不调整。") % {"computed": computed}
            ]
        if errors:
            raise ValidationError(errors)
        override = LightOverride.objects.create(task=task, computed=computed, colour=wanted, reason=reason, by=actor)
        audit_record(
            action="light.override",
            obj=override,
            actor=actor,
            task=task,
            plan_id=task.plan_id,
            before={"colour": str(computed)},
            after={"colour": str(wanted)},
            comment=reason,
        )
    return override
