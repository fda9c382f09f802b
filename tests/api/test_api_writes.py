"""Writing the register through the API: supervisors only, field errors, stale writes, audited moves."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tasks.models import AuditEvent, Indicator, IndicatorTarget, Milestone, Plan, PlanTask, TaskUnit
from tasks.services import milestone_update

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _writes(register) -> list[tuple[str, str, dict]]:
    """One valid write per write endpoint."""
    return [
        ("post", "/api/tasks/", {"plan": register.plan.pk, "code": "3", "title": "新任务", "lead_unit": "jxw"}),
        ("patch", f"/api/tasks/{register.task_2.pk}/", {"title": "改名"}),
        ("post", "/api/milestones/",
         {"task": register.task_2.pk, "code": "n1", "title": "节点", "due_date": "2026-01-31"}),
        ("patch", f"/api/milestones/{register.m1.pk}/", {"title": "改名"}),
        ("post", "/api/indicators/", {
            "task": register.task_2.pk, "code": "I9", "name": "数字化车间数", "unit_of_measure": "个",
            "baseline_year": 2022, "baseline_value": "100", "target_year": 2027, "target_value": "500",
        }),
        ("patch", f"/api/indicators/{register.indicator.pk}/", {"name": "改名"}),
        ("patch", f"/api/plans/{register.plan.pk}/", {"title": "改名"}),
    ]


WRITE_NAMES = ["task-create", "task-update", "milestone-create", "milestone-update", "indicator-create",
               "indicator-update", "plan-update"]


@pytest.mark.parametrize("persona", ["alice", "carol", "leo"])
@pytest.mark.parametrize("index", range(len(WRITE_NAMES)), ids=WRITE_NAMES)
def test_non_supervisors_may_not_write_the_register(
    request, client_for, register, persona, index
) -> None:
    method, url, body = _writes(register)[index]
    response = getattr(client_for(request.getfixturevalue(persona)), method)(url, body, format="json")
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()
    assert not PlanTask.objects.filter(code="3").exists()
    assert not Plan.objects.filter(title="改名").exists()


@pytest.mark.parametrize("index", range(len(WRITE_NAMES)), ids=WRITE_NAMES)
def test_supervisor_writes_are_audited(client_for, sam, register, index) -> None:
    method, url, body = _writes(register)[index]
    response = getattr(client_for(sam), method)(url, body, format="json")
    assert response.status_code == (201 if method == "post" else 200), response.content
    event = AuditEvent.objects.get()
    assert event.actor == sam
    assert event.unit.short_name == "市政府办公厅"
    assert event.action == WRITE_NAMES[index].replace("-", ".")
    assert event.object_id == str(response.json()["id"])


# --- tasks ------------------------------------------------------------------------------------


def test_supervisor_creates_a_task_with_units_by_code(client_for, sam, register) -> None:
    response = client_for(sam).post("/api/tasks/", {
        "plan": register.plan.pk, "parent": register.task_1.pk, "code": "1.3", "title": "绿色工厂",
        "kind": "deliverable", "importance": "major", "lead_unit": "jxw", "responsible_units": ["yubei", "fgw"],
        "start_date": "2024-01-01", "due_date": "2027-12-31", "comment": "按方案新增",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["parent"]["code"] == "1"
    assert body["lead_unit"]["code"] == "jxw"
    assert [unit["code"] for unit in body["responsible_units"]] == ["yubei", "fgw"]
    assert body["importance_weight"] == "1.5"
    task = PlanTask.objects.get(pk=body["id"])
    assert task.depth == 1
    event = AuditEvent.objects.get(task=task)
    assert event.after["responsible_units"] == ["yubei", "fgw"]
    assert event.after["lead_unit"] == "jxw"
    assert event.comment == "按方案新增"


def test_task_update_records_only_changed_fields(client_for, sam, register) -> None:
    response = client_for(sam).patch(f"/api/tasks/{register.task_1_1.pk}/", {
        "title": "工业营收增长", "status": "in_progress", "responsible_units": ["fgw", "kjj"], "comment": "季度调度",
    }, format="json")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get()
    assert event.before == {"status": "not_started", "responsible_units": ["fgw"]}
    assert event.after == {"status": "in_progress", "responsible_units": ["fgw", "kjj"]}
    assert event.comment == "季度调度"
    assert [unit["code"] for unit in response.json()["responsible_units"]] == ["fgw", "kjj"]


def test_task_update_without_change_records_nothing(client_for, sam, register) -> None:
    before = PlanTask.objects.get(pk=register.task_1_1.pk)
    response = client_for(sam).patch(
        f"/api/tasks/{register.task_1_1.pk}/", {"title": "工业营收增长", "responsible_units": ["fgw"]}, format="json"
    )
    assert response.status_code == 200
    assert not AuditEvent.objects.exists()
    after = PlanTask.objects.get(pk=register.task_1_1.pk)
    assert (after.updated_at, after.version) == (before.updated_at, before.version)
    assert response.json()["version"] == before.version


def test_closing_a_task_stamps_todays_date_in_shanghai(client_for, sam, register, time_machine) -> None:
    time_machine.move_to(datetime(2025, 3, 1, 0, 30, tzinfo=SHANGHAI), tick=False)
    response = client_for(sam).patch(f"/api/tasks/{register.task_2.pk}/", {"status": "done"}, format="json")
    assert response.json()["completed_date"] == "2025-03-01"
    response = client_for(sam).patch(f"/api/tasks/{register.task_2.pk}/", {"status": "in_progress"}, format="json")
    assert response.json()["completed_date"] is None


TASK_CREATE_ERRORS = [
    ({"lead_unit": "nope"}, "lead_unit"),
    ({"responsible_units": ["fgw", "nope"]}, "responsible_units"),
    ({"parent": "<draft_task>"}, "parent"),
    ({"parent": 999999}, "parent"),
    ({"start_date": "2026-01-01", "due_date": "2025-12-31"}, "due_date"),
    ({"code": "1.1"}, "code"),
    ({"code": "3..1"}, "code"),
    ({"plan": "<draft>", "parent": "<task_1>"}, "parent"),
    ({"plan": 999999}, "plan"),
    ({"completed_date": "2025-01-01"}, "completed_date"),
    ({"kind": "wish"}, "kind"),
    ({"title": ""}, "title"),
]


def _resolve(value, register):
    return getattr(register, value.strip("<>")).pk if isinstance(value, str) and value.startswith("<") else value


@pytest.mark.parametrize(("change", "field"), TASK_CREATE_ERRORS)
def test_task_create_reports_field_errors(client_for, sam, register, change, field) -> None:
    body = {"plan": register.plan.pk, "code": "3", "title": "新任务"}
    body.update({key: _resolve(value, register) for key, value in change.items()})
    response = client_for(sam).post("/api/tasks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not AuditEvent.objects.exists()


def test_unknown_unit_code_is_named_in_the_error(client_for, sam, register) -> None:
    body = {"plan": register.plan.pk, "code": "3", "title": "新任务", "lead_unit": "nope"}
    response = client_for(sam).post("/api/tasks/", body, format="json")
    assert "nope" in response.json()["errors"]["lead_unit"][0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"parent": "<task_1_1>"}, "parent"),  # 1.1 is under 1: a cycle
        ({"parent": "<task_1>"}, "parent"),  # itself
        ({"code": "2"}, "code"),
        ({"start_date": "2028-01-01"}, "due_date"),
        ({"lead_unit": "nope"}, "lead_unit"),
    ],
)
def test_task_update_reports_field_errors(client_for, sam, register, change, field) -> None:
    url = f"/api/tasks/{register.task_1.pk}/"
    body = {key: _resolve(value, register) for key, value in change.items()}
    if field == "due_date":
        PlanTask.objects.filter(pk=register.task_1.pk).update(due_date=date(2027, 12, 31))
    response = client_for(sam).patch(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not AuditEvent.objects.exists()


def test_stale_task_update_is_refused_with_409(client_for, sam, register) -> None:
    client = client_for(sam)
    url = f"/api/tasks/{register.task_2.pk}/"
    read = client.get(url).json()["version"]
    # Another supervisor saves first.
    assert client.patch(url, {"note": "先改"}, format="json").json()["version"] == read + 1
    response = client.patch(url, {"title": "后改", "version": read}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert f"当前版本 {read + 1}，你提交的是 {read}" in response.json()["detail"]
    assert PlanTask.objects.get(pk=register.task_2.pk).title == "数字化车间"
    # With the version just read, the write goes through.
    fresh = client.get(url).json()["version"]
    response = client.patch(url, {"title": "后改", "version": fresh}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["version"]) == ("后改", fresh + 1)


@pytest.mark.parametrize(("route", "attribute", "first", "second"), [
    ("plans", "plan", {"title": "先改"}, {"note": "后改"}),
    ("tasks", "task_2", {"note": "先改"}, {"title": "后改"}),
    ("milestones", "m1", {"title": "先改"}, {"weight": "40"}),
    ("indicators", "indicator", {"name": "先改"}, {"source": "后改"}),
])
def test_every_register_patch_takes_the_version_it_read(client_for, sam, register, route, attribute, first,
                                                        second) -> None:
    client = client_for(sam)
    url = f"/api/{route}/{getattr(register, attribute).pk}/"
    read = client.get(url).json()["version"]
    assert client.patch(url, {**first, "version": read}, format="json").json()["version"] == read + 1
    stale = client.patch(url, {**second, "version": read}, format="json")
    assert stale.status_code == 409
    assert set(stale.json()) == {"detail", "code"}
    assert f"当前版本 {read + 1}，你提交的是 {read}" in stale.json()["detail"]
    assert client.get(url).json()["version"] == read + 1
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize("version", [0, "x", None])
def test_a_malformed_version_is_a_field_error(client_for, sam, register, version) -> None:
    response = client_for(sam).patch(f"/api/tasks/{register.task_2.pk}/", {"title": "改名", "version": version},
                                     format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["version"]
    assert not AuditEvent.objects.exists()


# --- milestones -------------------------------------------------------------------------------


def test_moving_a_milestone_needs_a_reason_and_keeps_the_first_date(client_for, sam, register) -> None:
    client = client_for(sam)
    url = f"/api/milestones/{register.m1.pk}/"

    response = client.patch(url, {"due_date": "2024-06-30"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert Milestone.objects.get(pk=register.m1.pk).due_date == date(2024, 3, 31)

    response = client.patch(url, {"due_date": "2024-06-30", "reason": "受疫情影响顺延"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["due_date"], body["original_due_date"], body["moved"]) == ("2024-06-30", "2024-03-31", True)
    event = AuditEvent.objects.get()
    assert event.action == "milestone.move"
    assert event.comment == "受疫情影响顺延"
    assert event.before == {"due_date": "2024-03-31", "original_due_date": None}
    assert event.after == {"due_date": "2024-06-30", "original_due_date": "2024-03-31"}

    body = client.patch(url, {"due_date": "2024-09-30", "reason": "再次顺延"}, format="json").json()
    assert (body["due_date"], body["original_due_date"]) == ("2024-09-30", "2024-03-31")

    body = client.patch(url, {"due_date": "2024-03-31", "reason": "恢复原定"}, format="json").json()
    assert (body["original_due_date"], body["moved"]) == ("2024-03-31", False)
    assert AuditEvent.objects.filter(action="milestone.move").count() == 3


def test_milestone_update_without_move_needs_no_reason(client_for, sam, register) -> None:
    response = client_for(sam).patch(
        f"/api/milestones/{register.m1.pk}/", {"due_date": "2024-03-31", "weight": "30"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["weight"] == "30.00"
    assert AuditEvent.objects.get().action == "milestone.update"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": "0"}, "weight"),
        ({"weight": "-5"}, "weight"),
        ({"code": "m2"}, "code"),
        ({"owner_unit": "nope"}, "owner_unit"),
        ({"task": 999999}, "task"),
        ({"task": "<draft_task>", "code": "d1"}, "code"),
        ({"due_date": "soon"}, "due_date"),
        ({"status": "pending", "completed_date": "2025-01-01"}, "completed_date"),
    ],
)
def test_milestone_create_reports_field_errors(client_for, sam, register, change, field) -> None:
    body = {"task": register.task_1_1.pk, "code": "m9", "title": "节点", "due_date": "2026-01-31"}
    body.update({key: _resolve(value, register) for key, value in change.items()})
    response = client_for(sam).post("/api/milestones/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_supervisor_creates_a_milestone_with_an_owner(client_for, sam, register) -> None:
    response = client_for(sam).post("/api/milestones/", {
        "task": register.task_1_1.pk, "code": "m9", "title": "建成 50 个", "due_date": "2026-01-31", "weight": "20",
        "target_value": "50", "owner_unit": "yubei",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_unit"]["code"] == "yubei"
    assert (body["moved"], body["original_due_date"], body["status"]) == (False, None, "pending")
    assert AuditEvent.objects.get().after["owner_unit"] == "yubei"


# --- indicators -------------------------------------------------------------------------------

INDICATOR = {
    "code": "I9", "name": "数字化车间数", "unit_of_measure": "个", "baseline_year": 2022, "baseline_value": "100",
    "target_year": 2027, "target_value": "500",
}


def test_supervisor_creates_an_indicator_with_interim_targets(client_for, sam, register) -> None:
    body = {**INDICATOR, "task": register.task_2.pk, "interim_targets": [
        {"year": 2025, "value": "300"}, {"year": 2024, "value": "200", "illustrative": True},
    ]}
    response = client_for(sam).post("/api/indicators/", body, format="json")
    assert response.status_code == 201, response.content
    targets = response.json()["interim_targets"]
    assert [(t["year"], float(t["value"]), t["illustrative"]) for t in targets] == [
        (2024, 200.0, True), (2025, 300.0, False),
    ]
    assert response.json()["plan"]["code"] == "cq"
    assert AuditEvent.objects.get().after["interim_targets"][0] == {"year": 2024, "value": "200", "illustrative": True}


def test_indicator_update_replaces_interim_targets(client_for, sam, register) -> None:
    response = client_for(sam).patch(
        f"/api/indicators/{register.indicator.pk}/", {"interim_targets": [{"year": 2026, "value": "16"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert list(IndicatorTarget.objects.filter(indicator=register.indicator).values_list("year", flat=True)) == [2026]
    event = AuditEvent.objects.get()
    assert [t["year"] for t in event.before["interim_targets"]] == [2024, 2025]
    assert [t["year"] for t in event.after["interim_targets"]] == [2026]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "I1"}, "code"),
        ({"target_year": 2020}, "target_year"),
        ({"target_value": "100"}, "target_value"),
        ({"baseline_year": 1800, "target_year": 1900}, "baseline_year"),
        ({"interim_targets": [{"year": 2030, "value": "1"}]}, "interim_targets"),
        ({"interim_targets": [{"year": 2025, "value": "1"}, {"year": 2025, "value": "2"}]}, "interim_targets"),
        ({"direction": "sideways"}, "direction"),
        ({"name": ""}, "name"),
    ],
)
def test_indicator_create_reports_field_errors(client_for, sam, register, change, field) -> None:
    response = client_for(sam).post(
        "/api/indicators/", {**INDICATOR, "task": register.task_2.pk, **change}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not Indicator.objects.filter(code="I9").exists()


# --- plans ------------------------------------------------------------------------------------


def test_supervisor_publishes_a_draft_plan(client_for, sam, alice, register) -> None:
    assert client_for(alice).get(f"/api/plans/{register.draft.pk}/").status_code == 404
    response = client_for(sam).patch(
        f"/api/plans/{register.draft.pk}/", {"status": "active", "comment": "印发实施"}, format="json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.action, event.before, event.after, event.comment) == (
        "plan.update", {"status": "draft"}, {"status": "active"}, "印发实施",
    )
    assert client_for(alice).get(f"/api/plans/{register.draft.pk}/").status_code == 200


def test_plan_end_before_start_is_a_field_error(client_for, sam, register) -> None:
    response = client_for(sam).patch(f"/api/plans/{register.plan.pk}/", {"end_date": "2022-12-31"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()["errors"]


def test_plan_code_is_not_editable(client_for, sam, register) -> None:
    response = client_for(sam).patch(f"/api/plans/{register.plan.pk}/", {"code": "other"}, format="json")
    assert response.status_code == 200
    assert Plan.objects.get(pk=register.plan.pk).code == "cq"


@pytest.mark.parametrize("url", ["/api/plans/{plan}/", "/api/tasks/{task}/"])
def test_put_and_delete_are_not_offered(client_for, sam, register, url) -> None:
    target = url.format(plan=register.plan.pk, task=register.task_2.pk)
    client = client_for(sam)
    assert client.put(target, {"title": "x"}, format="json").status_code == 405
    assert client.delete(target).status_code == 405
    assert TaskUnit.objects.count() == 2


@pytest.mark.parametrize("change", [{"status": "done"}, {"completed_date": "2025-01-01"},
                                    {"status": "done", "completed_date": "2025-01-01"}])
def test_a_supervisor_cannot_mark_a_milestone_done_only_an_approved_report_can(client_for, sam, register,
                                                                                change) -> None:
    milestone = Milestone.objects.get(task=register.task_1_1, code="m1")
    response = client_for(sam).patch(f"/api/milestones/{milestone.pk}/", change, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == set(change)
    created = client_for(sam).post("/api/milestones/", {"task": register.task_1_1.pk, "code": "m9", "title": "节点",
                                                        "due_date": "2026-01-31", **change}, format="json")
    assert created.status_code == 400 and set(created.json()["errors"]) == set(change)
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.PENDING and milestone.completed_date is None
    with pytest.raises(TypeError):
        milestone_update(actor=sam, milestone=milestone, changes={"status": "done"})
