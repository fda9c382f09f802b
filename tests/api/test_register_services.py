"""The register write services guard themselves: permission, stale versions, no-op updates, kept rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from tasks.errors import Conflict
from tasks.models import AuditEvent, Indicator, Milestone, Plan, PlanTask, TaskUnit
from tasks.services import (
    InterimTarget,
    indicator_create,
    indicator_update,
    milestone_create,
    milestone_update,
    plan_update,
    task_create,
    task_update,
)
from units.models import Unit

SERVICE_CALLS: dict[str, Callable] = {
    "task_create": lambda user, r: task_create(actor=user, plan=r.plan, code="9", title="新任务"),
    "task_update": lambda user, r: task_update(actor=user, task=r.task_2, changes={"title": "改名"}),
    "milestone_create": lambda user, r: milestone_create(
        actor=user, task=r.task_2, code="n", title="节点", due_date=date(2026, 1, 31)
    ),
    "milestone_update": lambda user, r: milestone_update(
        actor=user, milestone=r.m1, changes={"due_date": date(2025, 1, 31)}, reason="顺延"
    ),
    "indicator_create": lambda user, r: indicator_create(
        actor=user, task=r.task_2, code="I9", name="指标", unit_of_measure="个", baseline_year=2022,
        baseline_value=Decimal("1"), target_year=2027, target_value=Decimal("2"),
    ),
    "indicator_update": lambda user, r: indicator_update(actor=user, indicator=r.indicator, changes={"name": "改名"}),
    "plan_update": lambda user, r: plan_update(actor=user, plan=r.plan, changes={"title": "改名"}),
}


@pytest.mark.parametrize("persona", ["alice", "carol", "leo"])
@pytest.mark.parametrize("service", list(SERVICE_CALLS))
def test_services_refuse_non_supervisors_themselves(request, register, persona, service) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        SERVICE_CALLS[service](user, register)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("service", list(SERVICE_CALLS))
def test_superuser_without_a_unit_may_write_and_is_audited_without_one(register, service) -> None:
    root = User.objects.create_superuser(username="root", password="pw-root")
    SERVICE_CALLS[service](root, register)
    event = AuditEvent.objects.get()
    assert (event.actor, event.unit) == (root, None)


def test_another_worker_got_there_first(sam, register) -> None:
    read = PlanTask.objects.get(pk=register.task_2.pk).version
    task_update(actor=sam, task=register.task_2, changes={"note": "先到"}, version=read)
    with pytest.raises(Conflict) as raised:
        task_update(actor=sam, task=register.task_2, changes={"title": "后到"}, version=read)
    stored = PlanTask.objects.get(pk=register.task_2.pk)
    assert stored.version == read + 1
    assert f"当前版本 {stored.version}，你提交的是 {read}" in str(raised.value)
    assert (stored.title, stored.note) == ("数字化车间", "先到")
    assert AuditEvent.objects.count() == 1


# Each update service: (model, the object in the register, a change, another change).
UPDATES: dict[str, tuple[Callable, type, str, dict, dict]] = {
    "task_update": (task_update, PlanTask, "task_2", {"note": "先到"}, {"title": "后到"}),
    "milestone_update": (milestone_update, Milestone, "m1", {"title": "先到"}, {"weight": Decimal("40")}),
    "indicator_update": (indicator_update, Indicator, "indicator", {"name": "先到"}, {"source": "后到"}),
    "plan_update": (plan_update, Plan, "plan", {"title": "先到"}, {"note": "后到"}),
}
KEYWORD = {PlanTask: "task", Milestone: "milestone", Indicator: "indicator", Plan: "plan"}


@pytest.mark.parametrize("service", list(UPDATES))
def test_every_update_refuses_a_stale_version_and_writes_nothing(sam, register, service) -> None:
    update, model, attribute, first, second = UPDATES[service]
    obj = getattr(register, attribute)
    read = model.objects.get(pk=obj.pk).version
    update(actor=sam, **{KEYWORD[model]: obj}, changes=first, version=read)
    with pytest.raises(Conflict) as raised:
        update(actor=sam, **{KEYWORD[model]: obj}, changes=second, version=read)
    assert f"当前版本 {read + 1}，你提交的是 {read}" in str(raised.value)
    stored = model.objects.get(pk=obj.pk)
    assert stored.version == read + 1
    assert all(getattr(stored, field) != value for field, value in second.items())
    assert AuditEvent.objects.count() == 1
    # With the version just read, the write goes through and raises it again.
    update(actor=sam, **{KEYWORD[model]: obj}, changes=second, version=read + 1)
    assert model.objects.get(pk=obj.pk).version == read + 2


@pytest.mark.parametrize("service", list(UPDATES))
def test_an_update_that_changes_nothing_keeps_the_version(sam, register, service) -> None:
    update, model, attribute, first, _second = UPDATES[service]
    obj = getattr(register, attribute)
    update(actor=sam, **{KEYWORD[model]: obj}, changes=first)
    version = model.objects.get(pk=obj.pk).version
    update(actor=sam, **{KEYWORD[model]: obj}, changes=first, version=version)
    assert model.objects.get(pk=obj.pk).version == version


def test_changing_only_responsible_units_bumps_the_version(sam, register) -> None:
    read = PlanTask.objects.get(pk=register.task_2.pk)
    task_update(actor=sam, task=register.task_2, changes={"responsible_units": [Unit.objects.get(code="kjj")]})
    stored = PlanTask.objects.get(pk=register.task_2.pk)
    assert stored.version == read.version + 1
    assert stored.updated_at != read.updated_at


def test_changing_only_interim_targets_bumps_the_version(sam, register) -> None:
    read = Indicator.objects.get(pk=register.indicator.pk).version
    indicator_update(actor=sam, indicator=register.indicator,
                     changes={"interim_targets": [InterimTarget(2026, Decimal("16"))]})
    assert Indicator.objects.get(pk=register.indicator.pk).version == read + 1


def test_reordering_responsible_units_keeps_their_rows(sam, register) -> None:
    fgw, kjj, yubei = (Unit.objects.get(code=code) for code in ("fgw", "kjj", "yubei"))
    task_update(actor=sam, task=register.task_1_1, changes={"responsible_units": [kjj, fgw, kjj]})
    rows_before = dict(TaskUnit.objects.filter(task=register.task_1_1).values_list("unit__code", "pk"))
    task_update(actor=sam, task=register.task_1_1, changes={"responsible_units": [yubei, fgw, kjj]})
    rows = list(TaskUnit.objects.filter(task=register.task_1_1).order_by("order").values_list("unit__code", "pk"))
    assert [code for code, _ in rows] == ["yubei", "fgw", "kjj"]
    assert dict(rows)["fgw"] == rows_before["fgw"]
    assert dict(rows)["kjj"] == rows_before["kjj"]


def test_repeated_update_is_idempotent(sam, register) -> None:
    for _ in range(2):
        milestone_update(actor=sam, milestone=register.m2, changes={"weight": Decimal("40")})
        indicator_update(
            actor=sam, indicator=register.indicator,
            changes={"interim_targets": [InterimTarget(2025, Decimal("14")), InterimTarget(2024, Decimal("12.0"))]},
        )
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["milestone.update"]


def test_moved_milestone_without_reason_is_refused_by_the_service(sam, register) -> None:
    with pytest.raises(ValidationError) as raised:
        milestone_update(actor=sam, milestone=register.m1, changes={"due_date": date(2025, 1, 31)}, reason="  ")
    assert "reason" in raised.value.message_dict


def test_fields_outside_the_editable_set_are_a_programming_error(sam, register) -> None:
    with pytest.raises(TypeError):
        task_update(actor=sam, task=register.task_2, changes={"plan": register.draft})
