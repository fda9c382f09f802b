"""Register writes take numbers, unit references and dates only as people mean them, on SQLite and PostgreSQL
(issue 7, items 6 and 9): what Python's Decimal reads but nobody types ("１２", "1_000", "NaN", "sNaN", "1e30", 24
digits) is a field error, a NUL in a unit code is a field error (not a PostgreSQL 500), and a milestone's due date
lies in its plan's span."""

from __future__ import annotations

import pytest

from tasks.models import AuditEvent, Milestone

NOT_NUMBERS = ("１２", "1_000", "NaN", "sNaN", "Infinity", "1e30", "1" * 24)


def _milestone(register, **fields):
    return {"task": register.task_1_1.pk, "code": "m9", "title": "节点", "due_date": "2026-01-31", **fields}


@pytest.mark.parametrize("value", NOT_NUMBERS)
@pytest.mark.parametrize("field", ["weight", "target_value"])
def test_a_milestone_number_must_be_plainly_typed(client_for, sam, register, field, value):
    response = client_for(sam).post("/api/milestones/", _milestone(register, **{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not Milestone.objects.filter(code="m9").exists()


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_an_indicator_value_must_be_plainly_typed(client_for, sam, register, value):
    url = f"/api/indicators/{register.indicator.pk}/"
    client = client_for(sam)
    for body, field in (
        ({"target_value": value}, "target_value"),
        ({"baseline_value": value}, "baseline_value"),
        ({"interim_targets": [{"year": 2025, "value": value}]}, "interim_targets[0].value"),
    ):
        response = client.patch(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert list(response.json()["errors"]) == [field]
    assert not AuditEvent.objects.exists()


def test_a_plain_number_is_still_a_number(client_for, sam, register):
    response = client_for(sam).post(
        "/api/milestones/", _milestone(register, weight="2.5", target_value="-3"), format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["weight"], response.json()["target_value"]) == ("2.50", "-3.0000")


@pytest.mark.parametrize("code", ["\x00", "jxw\x00", "\u0000yubei"])
def test_a_nul_in_a_unit_reference_is_a_field_error(client_for, sam, register, code):
    client = client_for(sam)
    cases = [
        ("post", "/api/milestones/", _milestone(register, owner_unit=code), "owner_unit"),
        ("patch", f"/api/milestones/{register.m1.pk}/", {"owner_unit": code}, "owner_unit"),
        ("patch", f"/api/tasks/{register.task_2.pk}/", {"lead_unit": code}, "lead_unit"),
        ("patch", f"/api/tasks/{register.task_2.pk}/", {"responsible_units": ["fgw", code]}, "responsible_units"),
        (
            "post",
            "/api/tasks/",
            {"plan": register.plan.pk, "code": "3", "title": "新任务", "lead_unit": code},
            "lead_unit",
        ),
    ]
    for method, url, body, field in cases:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (url, body, response.content)
        assert [path.split("[")[0] for path in response.json()["errors"]] == [field], (url, response.json())


@pytest.mark.parametrize("text", ["节点\x00", "\x00"])
def test_a_nul_in_register_text_is_a_field_error(client_for, sam, register, text):
    client = client_for(sam)
    for method, url, body, field in [
        ("post", "/api/milestones/", _milestone(register, title=text), "title"),
        ("patch", f"/api/tasks/{register.task_2.pk}/", {"note": text}, "note"),
        ("patch", f"/api/indicators/{register.indicator.pk}/", {"name": text}, "name"),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (url, response.content)
        assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("due", ["0001-01-01", "2022-12-31", "2028-01-01", "9999-12-31"])
def test_a_milestone_is_due_within_its_plan(client_for, sam, register, due):
    response = client_for(sam).post("/api/milestones/", _milestone(register, due_date=due), format="json")
    assert response.status_code == 400
    [message] = response.json()["errors"]["due_date"]
    assert "2023-01-01" in message and "2027-12-31" in message, "the message says the allowed range"


def test_moving_a_milestone_out_of_its_plan_is_refused(client_for, sam, register):
    response = client_for(sam).patch(
        f"/api/milestones/{register.m1.pk}/", {"due_date": "2030-06-30", "reason": "推迟"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["due_date"]


@pytest.mark.parametrize("due", ["2023-01-01", "2027-12-31"])
def test_the_plan_span_itself_is_allowed(client_for, sam, register, due):
    response = client_for(sam).post("/api/milestones/", _milestone(register, due_date=due), format="json")
    assert response.status_code == 201, response.content
