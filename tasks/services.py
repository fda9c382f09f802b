"""Writes to the plan register: tasks, milestones, indicators and plans.

Contract shared by every public function here:

- keyword-only, one ``transaction.atomic`` block, one audit event per effective change
  (``tasks.audit.audit_record``: actor, the actor's supervising unit, before → after of the
  changed fields, comment);
- the service checks by itself that the actor may edit the register (supervisors and
  superusers, ``units.selectors.user_scope(user).is_supervisor``) and raises
  ``django.core.exceptions.PermissionDenied`` otherwise — the API is not the only guard;
- rules that depend on the stored register (codes unique in their plan or task, a parent in
  the same plan and not below the task itself, dates in order, a moved milestone keeps its
  first date and needs a reason) are checked here, inside the transaction, and reported as
  ``django.core.exceptions.ValidationError`` keyed by field, so every caller (API, admin,
  importer) gets the same answer;
- updates lock the row (``select_for_update``) before reading the "before" values; an update
  that changes nothing writes nothing and records nothing (idempotent). A milestone is locked
  ``no_key`` (FOR NO KEY UPDATE: its id never changes), so a row that merely references it — a
  reminder's message, written by the sweep while it holds the milestone's watch — can still be
  inserted meanwhile; a plain FOR UPDATE there and the touch of that watch would deadlock;
- every update takes the ``version`` the caller last read (optional): if the row has moved on,
  it raises ``tasks.errors.Conflict`` naming both versions and writes nothing; an update that
  changes something raises ``version`` by one in the same UPDATE as its changes.

Unit references are ``Unit`` instances here; callers resolve codes or names first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.audit import audit_record
from tasks.codes import is_valid_code
from tasks.errors import Conflict
from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask, TaskUnit
from tasks.signals import facts_changed
from units.models import Membership, Unit
from units.selectors import user_scope

User = AbstractBaseUser | AnonymousUser

TASK_EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "parent", "code", "title", "title_en", "text", "kind", "importance", "lead_unit", "responsible_units",
        "units_illustrative", "start_date", "due_date", "due_text", "status", "completed_date", "note",
    }
)
MILESTONE_EDITABLE_FIELDS: frozenset[str] = frozenset(
    {"code", "title", "due_date", "weight", "target_value", "owner_unit", "order"}
)
INDICATOR_EDITABLE_FIELDS: frozenset[str] = frozenset(
    {
        "task", "code", "name", "name_en", "unit_of_measure", "direction", "baseline_year", "baseline_value",
        "baseline_illustrative", "target_year", "target_value", "target_text", "source", "order", "interim_targets",
    }
)
PLAN_EDITABLE_FIELDS: frozenset[str] = frozenset(
    {"title", "title_en", "issuer", "issued_date", "start_date", "end_date", "cadence", "status",
     "units_illustrative", "note"}
)
MIN_YEAR, MAX_YEAR = 1949, 2100


@dataclass(frozen=True)
class InterimTarget:
    """One interim target (序时目标) of an indicator, as given to the services."""

    year: int
    value: Decimal
    illustrative: bool = False


# --- permission -------------------------------------------------------------------------------


def register_editable_by(user: User) -> bool:
    """Whether *user* may change the plan register (supervisors and superusers). No query once scope is cached."""
    return user_scope(user).is_supervisor


def _require_editor(actor: User) -> None:
    if not register_editable_by(actor):
        raise PermissionDenied(_("只有督查专班可以修改任务台账。"))


def _acting_unit(actor: User) -> Unit | None:
    """The unit in which the actor supervises, for the audit trail (None for a superuser without one)."""
    supervising = sorted(uid for uid, role in user_scope(actor).roles_by_unit if role == Membership.Role.SUPERVISOR)
    return Unit.objects.filter(pk=supervising[0]).first() if supervising else None


# --- helpers ----------------------------------------------------------------------------------


def _audit_value(value: Any) -> Any:
    """Units by code (stable and readable), decimals in plain notation; other objects by id; lists element-wise."""
    if isinstance(value, Unit):
        return value.code
    if isinstance(value, Decimal):
        # Not left to audit.jsonable, whose normalize() writes Decimal("200.0000") as "2E+2".
        return format(value.normalize(), "f")
    if isinstance(value, InterimTarget):
        return {"year": value.year, "value": _audit_value(value.value), "illustrative": value.illustrative}
    if isinstance(value, (list, tuple)):
        return [_audit_value(item) for item in value]
    return value


def _check_version(locked: Indicator | Milestone | Plan | PlanTask, version: int | None) -> None:
    """Refuse a write based on an older read of the (locked) row: 409 naming the current and the sent version."""
    if version is not None and version != locked.version:
        raise Conflict(
            _("%(object)s已被他人修改（当前版本 %(current)s，你提交的是 %(sent)s），请刷新后再试。")
            % {"object": locked._meta.verbose_name, "current": locked.version, "sent": version}
        )


def _check_fields(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")


def _raise_if(errors: dict[str, list[Any]]) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: dict[str, list[Any]], field: str, message: Any) -> None:
    errors.setdefault(field, []).append(message)


def _check_completion(errors: dict[str, list[Any]], values: dict[str, Any], done: str) -> None:
    """Done ⇔ a completion date. A done item without a date is completed today (Asia/Shanghai)."""
    if values["status"] == done:
        if values["completed_date"] is None:
            values["completed_date"] = timezone.localdate()
    elif values["completed_date"] is not None:
        _add(errors, "completed_date", _("只有已完成（已办结）的事项才有完成日期。"))


def _save_unique(obj: Model, field: str, message: Any) -> None:
    """Save, turning a lost race on a unique code into the same field error the pre-check gives."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        if "unique" in str(exc).lower():
            raise ValidationError({field: [message]}) from exc
        raise


def _apply(obj: Model, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the changed attributes on *obj*; return before/after of only those that differ."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(obj, field)
        if old != value:
            before[field] = _audit_value(old)
            after[field] = _audit_value(value)
            setattr(obj, field, value)
    return before, after


# --- tasks ------------------------------------------------------------------------------------


def _check_task(errors: dict[str, list[Any]], *, task_id: int | None, plan: Plan, values: dict[str, Any]) -> None:
    code = values["code"]
    if not is_valid_code(code):
        _add(errors, "code", _("编号只能由数字、字母或连字符组成，用“.”分级，如 3.2.1。"))
    elif PlanTask.objects.filter(plan=plan, code=code).exclude(pk=task_id).exists():
        _add(errors, "code", _("该行动方案中已有编号为“%(code)s”的任务。") % {"code": code})
    parent: PlanTask | None = values["parent"]
    if parent is not None:
        if parent.plan_id != plan.pk:
            _add(errors, "parent", _("上级任务必须属于同一行动方案。"))
        elif task_id is not None:
            ancestor: PlanTask | None = parent
            while ancestor is not None:
                if ancestor.pk == task_id:
                    _add(errors, "parent", _("上级任务不能是任务本身或其下级任务。"))
                    break
                ancestor = ancestor.parent
    start, due = values["start_date"], values["due_date"]
    if start is not None and due is not None and due < start:
        _add(errors, "due_date", _("完成时限不能早于开始日期。"))
    _check_completion(errors, values, PlanTask.Status.DONE)


def _unique_units(units: Iterable[Unit]) -> list[Unit]:
    seen: dict[int, Unit] = {}
    for unit in units:
        seen.setdefault(unit.pk, unit)
    return list(seen.values())


def _set_responsible_units(task: PlanTask, units: Sequence[Unit]) -> None:
    """Make the task's responsible units exactly *units*, in that order, keeping surviving rows."""
    wanted = {unit.pk: order for order, unit in enumerate(units)}
    existing = {row.unit_id: row for row in TaskUnit.objects.filter(task=task)}
    TaskUnit.objects.filter(task=task).exclude(unit_id__in=wanted).delete()
    for unit_id, order in wanted.items():
        row = existing.get(unit_id)
        if row is None:
            TaskUnit.objects.create(task=task, unit_id=unit_id, order=order)
        elif row.order != order:
            row.order = order
            row.save(update_fields=["order"])


@transaction.atomic
def task_create(
    *,
    actor: User,
    plan: Plan,
    code: str,
    title: str,
    parent: PlanTask | None = None,
    title_en: str = "",
    text: str = "",
    kind: str = PlanTask.Kind.QUALITATIVE,
    importance: str = PlanTask.Importance.NORMAL,
    lead_unit: Unit | None = None,
    responsible_units: Sequence[Unit] = (),
    units_illustrative: bool = False,
    start_date: date | None = None,
    due_date: date | None = None,
    due_text: str = "",
    status: str = PlanTask.Status.NOT_STARTED,
    completed_date: date | None = None,
    note: str = "",
    comment: str = "",
) -> PlanTask:
    """Add a task to a plan's register. Supervisors only; atomic; audited as ``task.create``. Not idempotent:
    a second call with the same code fails with a ``code`` error."""
    _require_editor(actor)
    values: dict[str, Any] = {
        "parent": parent, "code": code.strip(), "title": title, "title_en": title_en, "text": text, "kind": kind,
        "importance": importance, "lead_unit": lead_unit, "units_illustrative": units_illustrative,
        "start_date": start_date, "due_date": due_date, "due_text": due_text, "status": status,
        "completed_date": completed_date, "note": note,
    }
    errors: dict[str, list[Any]] = {}
    _check_task(errors, task_id=None, plan=plan, values=values)
    _raise_if(errors)
    task = PlanTask(plan=plan, **values)
    _save_unique(task, "code", _("该行动方案中已有编号为“%(code)s”的任务。") % {"code": values["code"]})
    units = _unique_units(responsible_units)
    _set_responsible_units(task, units)
    after = {field: _audit_value(value) for field, value in values.items()} | {
        "responsible_units": _audit_value(units)
    }
    audit_record(
        action="task.create", obj=task, actor=actor, unit=_acting_unit(actor), plan=plan, task=task,
        after=after, comment=comment,
    )
    facts_changed(plan_id=plan.pk, task_ids=[task.pk])
    return task


@transaction.atomic
def task_update(
    *,
    actor: User,
    task: PlanTask,
    changes: Mapping[str, Any],
    version: int | None = None,
    comment: str = "",
) -> PlanTask:
    """Change fields of a task (keys of ``TASK_EDITABLE_FIELDS``). Supervisors only; atomic; audited as
    ``task.update`` with before → after of the changed fields; idempotent (no change, no event).

    Locks the task row. If ``version`` is given and is not the stored one (someone saved in between),
    raises ``Conflict`` and writes nothing; a change (responsible units included) raises the version.
    """
    _require_editor(actor)
    _check_fields(changes, TASK_EDITABLE_FIELDS)
    locked = PlanTask.objects.select_for_update().get(pk=task.pk)
    _check_version(locked, version)

    changes = dict(changes)
    if "code" in changes:
        changes["code"] = changes["code"].strip()
    new_units = _unique_units(changes.pop("responsible_units")) if "responsible_units" in changes else None
    # Leaving "done" clears the completion date unless the caller sets one (which is then an error).
    if changes.get("status", locked.status) != PlanTask.Status.DONE and "completed_date" not in changes:
        changes["completed_date"] = None
    values = {
        field: changes.get(field, getattr(locked, field)) for field in TASK_EDITABLE_FIELDS - {"responsible_units"}
    }
    errors: dict[str, list[Any]] = {}
    _check_task(errors, task_id=locked.pk, plan=locked.plan, values=values)
    _raise_if(errors)
    changes["completed_date"] = values["completed_date"]

    before, after = _apply(locked, changes)
    if new_units is not None:
        old_rows = TaskUnit.objects.filter(task=locked).select_related("unit").order_by("order", "id")
        old_units = [row.unit for row in old_rows]
        if [unit.pk for unit in old_units] != [unit.pk for unit in new_units]:
            before["responsible_units"] = _audit_value(old_units)
            after["responsible_units"] = _audit_value(new_units)
            _set_responsible_units(locked, new_units)
    if not after:
        return locked
    locked.version += 1
    _save_unique(locked, "code", _("该行动方案中已有编号为“%(code)s”的任务。") % {"code": locked.code})
    audit_record(
        action="task.update", obj=locked, actor=actor, unit=_acting_unit(actor), plan=locked.plan, task=locked,
        before=before, after=after, comment=comment,
    )
    facts_changed(plan_id=locked.plan_id, task_ids=[locked.pk])
    return locked


# --- milestones -------------------------------------------------------------------------------


def _check_milestone(errors: dict[str, list[Any]], *, milestone_id: int | None, task: PlanTask,
                     values: dict[str, Any], due_before: date | None = None) -> None:
    """Field errors of a milestone's values. A due date set or moved (not ``due_before``) lies in the plan's span."""
    code = values["code"]
    if not code:
        _add(errors, "code", _("编号不能为空。"))
    elif Milestone.objects.filter(task=task, code=code).exclude(pk=milestone_id).exists():
        _add(errors, "code", _("该任务中已有编号为“%(code)s”的节点。") % {"code": code})
    if values["weight"] is None or values["weight"] <= 0:
        _add(errors, "weight", _("权重必须大于 0。"))
    plan = task.plan
    due = values["due_date"]
    if due is not None and due != due_before and not plan.start_date <= due <= plan.end_date:
        _add(errors, "due_date", _("计划完成日期应在方案期内（%(start)s 至 %(end)s）。")
             % {"start": plan.start_date.isoformat(), "end": plan.end_date.isoformat()})


@transaction.atomic
def milestone_create(
    *,
    actor: User,
    task: PlanTask,
    code: str,
    title: str,
    due_date: date,
    weight: Decimal = Decimal("1"),
    target_value: Decimal | None = None,
    owner_unit: Unit | None = None,
    order: int = 0,
    comment: str = "",
) -> Milestone:
    """Add a milestone (节点) to a task, pending: a milestone is completed only by an approved report. Supervisors
    only; atomic; audited as ``milestone.create``."""
    _require_editor(actor)
    values: dict[str, Any] = {
        "code": code.strip(), "title": title, "due_date": due_date, "weight": weight, "target_value": target_value,
        "owner_unit": owner_unit, "order": order,
    }
    errors: dict[str, list[Any]] = {}
    _check_milestone(errors, milestone_id=None, task=task, values=values)
    _raise_if(errors)
    milestone = Milestone(task=task, **values)
    _save_unique(milestone, "code", _("该任务中已有编号为“%(code)s”的节点。") % {"code": values["code"]})
    audit_record(
        action="milestone.create", obj=milestone, actor=actor, unit=_acting_unit(actor), plan=task.plan, task=task,
        after={field: _audit_value(value) for field, value in values.items()}, comment=comment,
    )
    facts_changed(plan_id=task.plan_id, task_ids=[task.pk])
    return milestone


@transaction.atomic
def milestone_update(
    *,
    actor: User,
    milestone: Milestone,
    changes: Mapping[str, Any],
    reason: str = "",
    version: int | None = None,
) -> Milestone:
    """Change fields of a milestone (keys of ``MILESTONE_EDITABLE_FIELDS``). Supervisors only; atomic; locks the row;
    a stale ``version`` is a ``Conflict``. Not its completion: that comes only from an approved report.

    Moving the due date (调整) requires a ``reason``, stored as the audit comment, and keeps the
    first original date in ``original_due_date`` however often the date moves; the event is then
    ``milestone.move``, otherwise ``milestone.update``. Idempotent: no change, no event.
    """
    _require_editor(actor)
    _check_fields(changes, MILESTONE_EDITABLE_FIELDS)
    locked = Milestone.objects.select_for_update(no_key=True).get(pk=milestone.pk)
    _check_version(locked, version)
    changes = dict(changes)
    if "code" in changes:
        changes["code"] = changes["code"].strip()
    values = {field: changes.get(field, getattr(locked, field)) for field in MILESTONE_EDITABLE_FIELDS}
    errors: dict[str, list[Any]] = {}
    _check_milestone(errors, milestone_id=locked.pk, task=locked.task, values=values, due_before=locked.due_date)
    moved = values["due_date"] != locked.due_date
    if moved and not reason.strip():
        _add(errors, "reason", _("调整完成日期必须说明理由。"))
    _raise_if(errors)
    if moved and locked.original_due_date is None:
        changes["original_due_date"] = locked.due_date

    before, after = _apply(locked, changes)
    if not after:
        return locked
    locked.version += 1
    _save_unique(locked, "code", _("该任务中已有编号为“%(code)s”的节点。") % {"code": locked.code})
    audit_record(
        action="milestone.move" if moved else "milestone.update", obj=locked, actor=actor, unit=_acting_unit(actor),
        plan=locked.task.plan, task=locked.task, before=before, after=after, comment=reason.strip(),
    )
    facts_changed(plan_id=locked.task.plan_id, task_ids=[locked.task_id])
    return locked


# --- indicators -------------------------------------------------------------------------------


def _check_indicator(errors: dict[str, list[Any]], *, indicator_id: int | None, plan: Plan,
                     values: dict[str, Any]) -> None:
    code = values["code"]
    if not code:
        _add(errors, "code", _("编号不能为空。"))
    elif Indicator.objects.filter(plan=plan, code=code).exclude(pk=indicator_id).exists():
        _add(errors, "code", _("该行动方案中已有编号为“%(code)s”的指标。") % {"code": code})
    if values["task"].plan_id != plan.pk:
        _add(errors, "task", _("指标所属任务必须属于同一行动方案。"))
    baseline_year, target_year = values["baseline_year"], values["target_year"]
    if not MIN_YEAR <= baseline_year <= MAX_YEAR:
        _add(errors, "baseline_year", _("基期年份应在 %(min)s–%(max)s 之间。") % {"min": MIN_YEAR, "max": MAX_YEAR})
    if target_year < baseline_year:
        _add(errors, "target_year", _("目标年份不能早于基期年份。"))
    if values["target_value"] == values["baseline_value"]:
        _add(errors, "target_value", _("目标值必须不同于基期值。"))
    years = [target.year for target in values["interim_targets"]]
    if len(set(years)) != len(years):
        _add(errors, "interim_targets", _("每个年份只能有一个序时目标。"))
    if any(not baseline_year < year <= target_year for year in years):
        _add(errors, "interim_targets", _("序时目标的年份应晚于基期年份且不晚于目标年份。"))


def _set_interim_targets(indicator: Indicator, targets: Sequence[InterimTarget]) -> None:
    IndicatorTarget.objects.filter(indicator=indicator).delete()
    IndicatorTarget.objects.bulk_create(
        IndicatorTarget(indicator=indicator, year=t.year, value=t.value, illustrative=t.illustrative)
        for t in sorted(targets, key=lambda t: t.year)
    )


def _interim_targets_of(indicator: Indicator) -> list[InterimTarget]:
    return [
        InterimTarget(year=t.year, value=t.value, illustrative=t.illustrative)
        for t in IndicatorTarget.objects.filter(indicator=indicator).order_by("year")
    ]


@transaction.atomic
def indicator_create(
    *,
    actor: User,
    task: PlanTask,
    code: str,
    name: str,
    unit_of_measure: str,
    baseline_year: int,
    baseline_value: Decimal,
    target_year: int,
    target_value: Decimal,
    name_en: str = "",
    direction: str = Indicator.Direction.HIGHER,
    baseline_illustrative: bool = False,
    target_text: str = "",
    source: str = "",
    order: int = 0,
    interim_targets: Sequence[InterimTarget] = (),
    comment: str = "",
) -> Indicator:
    """Add an indicator (指标) with its interim targets to a task's plan. Supervisors only; atomic; audited as
    ``indicator.create``."""
    _require_editor(actor)
    values: dict[str, Any] = {
        "task": task, "code": code.strip(), "name": name, "name_en": name_en, "unit_of_measure": unit_of_measure,
        "direction": direction, "baseline_year": baseline_year, "baseline_value": baseline_value,
        "baseline_illustrative": baseline_illustrative, "target_year": target_year, "target_value": target_value,
        "target_text": target_text, "source": source, "order": order, "interim_targets": list(interim_targets),
    }
    errors: dict[str, list[Any]] = {}
    _check_indicator(errors, indicator_id=None, plan=task.plan, values=values)
    _raise_if(errors)
    targets = values.pop("interim_targets")
    indicator = Indicator(plan=task.plan, **values)
    _save_unique(indicator, "code", _("该行动方案中已有编号为“%(code)s”的指标。") % {"code": values["code"]})
    _set_interim_targets(indicator, targets)
    after = {field: _audit_value(value) for field, value in values.items()} | {
        "task": task.pk, "interim_targets": _audit_value(sorted(targets, key=lambda t: t.year)),
    }
    audit_record(
        action="indicator.create", obj=indicator, actor=actor, unit=_acting_unit(actor), plan=task.plan, task=task,
        after=after, comment=comment,
    )
    facts_changed(plan_id=task.plan_id, task_ids=[task.pk])
    return indicator


@transaction.atomic
def indicator_update(
    *,
    actor: User,
    indicator: Indicator,
    changes: Mapping[str, Any],
    version: int | None = None,
    comment: str = "",
) -> Indicator:
    """Change fields of an indicator (keys of ``INDICATOR_EDITABLE_FIELDS``); ``interim_targets``, when given,
    replaces the whole list. Supervisors only; atomic; locks the row; a stale ``version`` is a ``Conflict``;
    audited as ``indicator.update``; idempotent (no change, no event)."""
    _require_editor(actor)
    _check_fields(changes, INDICATOR_EDITABLE_FIELDS)
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    _check_version(locked, version)
    changes = dict(changes)
    if "code" in changes:
        changes["code"] = changes["code"].strip()
    old_targets = _interim_targets_of(locked)
    new_targets = sorted(changes.pop("interim_targets"), key=lambda t: t.year) if "interim_targets" in changes else None
    values = {
        field: changes.get(field, getattr(locked, field)) for field in INDICATOR_EDITABLE_FIELDS - {"interim_targets"}
    }
    values["interim_targets"] = new_targets if new_targets is not None else old_targets
    errors: dict[str, list[Any]] = {}
    _check_indicator(errors, indicator_id=locked.pk, plan=locked.plan, values=values)
    _raise_if(errors)

    before, after = _apply(locked, changes)
    if "task" in after:
        before["task"], after["task"] = before["task"].pk, after["task"].pk
    if new_targets is not None and new_targets != old_targets:
        before["interim_targets"] = _audit_value(old_targets)
        after["interim_targets"] = _audit_value(new_targets)
        _set_interim_targets(locked, new_targets)
    if not after:
        return locked
    locked.version += 1
    _save_unique(locked, "code", _("该行动方案中已有编号为“%(code)s”的指标。") % {"code": locked.code})
    audit_record(
        action="indicator.update", obj=locked, actor=actor, unit=_acting_unit(actor), plan=locked.plan,
        task=locked.task, before=before, after=after, comment=comment,
    )
    # A moved indicator changes the lights of the task it left and of the task it joined.
    facts_changed(plan_id=locked.plan_id, task_ids={locked.task_id, before.get("task", locked.task_id)})
    return locked


# --- plans ------------------------------------------------------------------------------------


@transaction.atomic
def plan_update(
    *, actor: User, plan: Plan, changes: Mapping[str, Any], version: int | None = None, comment: str = ""
) -> Plan:
    """Change fields of a plan (keys of ``PLAN_EDITABLE_FIELDS``; the code is fixed). Supervisors only; atomic;
    locks the row; a stale ``version`` is a ``Conflict``; audited as ``plan.update``; idempotent (no change, no
    event)."""
    _require_editor(actor)
    _check_fields(changes, PLAN_EDITABLE_FIELDS)
    locked = Plan.objects.select_for_update().get(pk=plan.pk)
    _check_version(locked, version)
    start = changes.get("start_date", locked.start_date)
    end = changes.get("end_date", locked.end_date)
    if end < start:
        raise ValidationError({"end_date": [_("结束日期不能早于开始日期。")]})
    before, after = _apply(locked, changes)
    if not after:
        return locked
    locked.version += 1
    locked.save()
    audit_record(
        action="plan.update", obj=locked, actor=actor, unit=_acting_unit(actor), plan=locked,
        before=before, after=after, comment=comment,
    )
    return locked
