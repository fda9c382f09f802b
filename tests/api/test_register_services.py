"""The register write services guard themselves: permission, stale versions, no-op updates, kept rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from tasks.models import AuditEvent, PlanTask, TaskUnit
from tasks.services import (
    InterimTarget,
    StaleWrite,
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
    read = PlanTask.objects.get(pk=register.task_2.pk).updated_at
    task_update(actor=sam, task=register.task_2, changes={"note": "先到"}, expected_updated_at=read)
    with pytest.raises(StaleWrite) as raised:
        task_update(actor=sam, task=register.task_2, changes={"title": "后到"}, expected_updated_at=read)
    stored = PlanTask.objects.get(pk=register.task_2.pk)
    assert raised.value.current_updated_at == stored.updated_at != read
    assert (stored.title, stored.note) == ("数字化车间", "先到")
    assert AuditEvent.objects.count() == 1


def test_changing_only_responsible_units_bumps_the_version(sam, register) -> None:
    read = PlanTask.objects.get(pk=register.task_2.pk).updated_at
    task_update(actor=sam, task=register.task_2, changes={"responsible_units": [Unit.objects.get(code="kjj")]})
    assert PlanTask.objects.get(pk=register.task_2.pk).updated_at != read


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
