"""Reading the register through the API: filters, output shape, detail routes, visibility, pagination."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tasks.models import Milestone, Plan
from tests.factories import make_milestone, make_plan, make_task
from units.models import Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _fill(params: dict[str, str], register) -> dict[str, str]:
    """Replace "<attr>" values by the id of that register object, "#code" by the id of that unit."""
    filled = {}
    for key, value in params.items():
        if value.startswith("<"):
            value = str(getattr(register, value.strip("<>")).pk)
        elif value.startswith("#"):
            value = str(Unit.objects.get(code=value[1:]).pk)
        filled[key] = value
    return filled


def _codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


# --- tasks ------------------------------------------------------------------------------------

TASK_FILTERS = [
    ({}, {"1", "1.1", "1.2", "2"}),
    ({"plan": "cq"}, {"1", "1.1", "1.2", "2"}),
    ({"plan": "<plan>"}, {"1", "1.1", "1.2", "2"}),
    ({"plan": "nope"}, set()),
    ({"plan": "draft"}, set()),
    ({"unit": "jxw"}, {"1", "1.1", "1.2"}),
    ({"unit": "jxw", "role": "any"}, {"1", "1.1", "1.2"}),
    ({"unit": "jxw", "role": "lead"}, {"1", "1.1"}),
    ({"unit": "jxw", "role": "responsible"}, {"1.2"}),
    ({"unit": "#kjj", "role": "lead"}, {"1.2"}),
    ({"unit": "fgw"}, {"1.1", "2"}),
    ({"unit": "yubei"}, set()),
    ({"kind": "indicator"}, {"1.1"}),
    ({"kind": "deliverable"}, {"1.2"}),
    ({"status": "in_progress"}, {"1.2"}),
    ({"status": "done"}, set()),
    ({"importance": "major"}, {"1.1"}),
    ({"importance": "normal"}, {"1", "1.2", "2"}),
    ({"parent": "<task_1>"}, {"1.1", "1.2"}),
    ({"parent": "<task_2>"}, set()),
    ({"leaf": "true"}, {"1.1", "1.2", "2"}),
    ({"leaf": "false"}, {"1"}),
    ({"due_after": "2026-01-01"}, {"1.2", "2"}),
    ({"due_before": "2025-12-31"}, {"1.1"}),
    ({"due_after": "2025-12-31", "due_before": "2026-06-30"}, {"1.1", "1.2"}),
    ({"q": "数字化"}, {"2"}),
    ({"q": "4万亿"}, {"1.1"}),
    ({"q": "1.2"}, {"1.2"}),
    ({"q": "不存在的任务"}, set()),
]


@pytest.mark.parametrize(("params", "expected"), TASK_FILTERS)
def test_task_list_filters(client_for, alice, register, params, expected) -> None:
    response = client_for(alice).get("/api/tasks/", _fill(params, register))
    assert _codes(response) == expected


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"role": "boss"}, {"due_after": "someday"}, {"kind": "x"}])
def test_task_list_rejects_malformed_filters(client_for, alice, register, params) -> None:
    response = client_for(alice).get("/api/tasks/", params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(params)


def test_supervisor_sees_draft_plan_tasks(client_for, sam, register) -> None:
    assert _codes(client_for(sam).get("/api/tasks/", {"plan": "draft"})) == {"1"}


def test_task_detail_nests_compact_references(client_for, bob, register) -> None:
    response = client_for(bob).get(f"/api/tasks/{register.task_1_1.pk}/")
    assert response.status_code == 200
    body = response.json()
    jxw = Unit.objects.get(code="jxw")
    assert body["plan"] == {"id": register.plan.pk, "code": "cq", "title": "制造业行动方案"}
    assert body["parent"] == {"id": register.task_1.pk, "code": "1", "title": "制造业高质量发展"}
    assert body["lead_unit"] == {"id": jxw.pk, "code": "jxw", "short_name": "市经济信息委", "name": jxw.name}
    assert [unit["code"] for unit in body["responsible_units"]] == ["fgw"]
    assert body["importance_weight"] == "1.5"
    assert body["units_illustrative"] is False
    assert body["due_date"] == "2025-12-31"
    assert body["updated_at"]
    assert body["version"] == 1


def test_ordering_by_due_date(client_for, alice, register) -> None:
    response = client_for(alice).get("/api/tasks/", {"ordering": "-due_date", "leaf": "true"})
    assert [row["code"] for row in response.json()["results"]] == ["2", "1.2", "1.1"]


# --- units ------------------------------------------------------------------------------------

UNIT_FILTERS = [
    ({"kind": "district"}, "yubei", "jxw"),
    ({"kind": "department"}, "jxw", "yubei"),
    ({"track": "departments"}, "jxw", "yubei"),
    ({"track": "central"}, "yubei", "jxw"),
    ({"q": "经信"}, "jxw", "fgw"),
    ({"q": "市发改委"}, "fgw", "jxw"),
    ({"q": "ＪＸＷ"}, "jxw", "fgw"),
    ({"q": "渝北"}, "yubei", "jxw"),
    ({"q": "Reform"}, "fgw", "jxw"),
]


@pytest.mark.parametrize(("params", "included", "excluded"), UNIT_FILTERS)
def test_unit_list_filters(client_for, alice, params, included, excluded) -> None:
    codes = _codes(client_for(alice).get("/api/units/", params))
    assert included in codes
    assert excluded not in codes


def test_unit_list_filters_by_active(client_for, alice) -> None:
    Unit.objects.filter(code="wansheng").update(active=False)
    client = client_for(alice)
    assert _codes(client.get("/api/units/", {"active": "false"})) == {"wansheng"}
    assert "wansheng" not in _codes(client.get("/api/units/", {"active": "true", "kind": "zone"}))


def test_unit_detail_shows_track_and_aliases(client_for, alice) -> None:
    jxw = Unit.objects.get(code="jxw")
    body = client_for(alice).get(f"/api/units/{jxw.pk}/").json()
    assert body["track"]["code"] == "departments"
    assert "市经信委" in body["aliases"]
    assert body["parent"] is None


def test_unit_list_is_paginated_by_fifty(client_for, alice) -> None:
    client = client_for(alice)
    first = client.get("/api/units/").json()
    assert first["count"] == Unit.objects.count() > 50
    assert len(first["results"]) == 50
    assert first["next"].endswith("page=2")
    second = client.get("/api/units/", {"page": 2}).json()
    assert len(second["results"]) == Unit.objects.count() - 50
    assert second["next"] is None


# --- plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "params", "expected"),
    [
        ("alice", {}, {"cq"}),
        ("alice", {"status": "active"}, {"cq"}),
        ("alice", {"status": "draft"}, set()),
        ("sam", {}, {"cq", "draft"}),
        ("sam", {"status": "draft"}, {"draft"}),
        ("sam", {"status": "closed"}, set()),
    ],
)
def test_plan_list_filters_by_status_within_what_the_user_may_see(
    request, client_for, register, persona, params, expected
) -> None:
    user = request.getfixturevalue(persona)
    assert _codes(client_for(user).get("/api/plans/", params)) == expected


def test_plan_detail_by_id(client_for, leo, register) -> None:
    body = client_for(leo).get(f"/api/plans/{register.plan.pk}/").json()
    assert body["code"] == "cq"
    assert body["status"] == Plan.Status.ACTIVE


# --- indicators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"I1"}),
        ({"plan": "cq"}, {"I1"}),
        ({"plan": "draft"}, set()),
        ({"task": "<task_1_1>"}, {"I1"}),
        ({"task": "<task_1_2>"}, set()),
        ({"unit": "fgw"}, {"I1"}),
        ({"unit": "jxw"}, {"I1"}),
        ({"unit": "kjj"}, set()),
    ],
)
def test_indicator_list_filters(client_for, alice, register, params, expected) -> None:
    assert _codes(client_for(alice).get("/api/indicators/", _fill(params, register))) == expected


def test_indicator_detail_lists_interim_targets(client_for, alice, register) -> None:
    body = client_for(alice).get(f"/api/indicators/{register.indicator.pk}/").json()
    assert body["task"] == {"id": register.task_1_1.pk, "code": "1.1", "title": "工业营收增长"}
    assert body["plan"]["code"] == "cq"
    assert [(t["year"], float(t["value"]), t["illustrative"]) for t in body["interim_targets"]] == [
        (2024, 12.0, False), (2025, 14.0, False),
    ]


# --- milestones -------------------------------------------------------------------------------


@pytest.fixture
def mid_january(time_machine) -> None:
    time_machine.move_to(datetime(2025, 1, 15, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"m1", "m2", "m3"}),
        ({"task": "<task_1_1>"}, {"m1", "m2"}),
        ({"task": "<task_1_2>"}, {"m3"}),
        ({"plan": "cq"}, {"m1", "m2", "m3"}),
        ({"plan": "draft"}, set()),
        ({"unit": "kjj"}, {"m2", "m3"}),  # m2 is owned by 市科技局; m3 has no owner and 1.2 is led by it
        ({"unit": "jxw"}, {"m1"}),  # 市经济信息委 leads 1.1, but m2 has its own owner
        ({"unit": "fgw"}, set()),
        ({"due_after": "2024-06-30"}, {"m2", "m3"}),
        ({"due_before": "2024-03-31"}, {"m1"}),
        ({"overdue": "true"}, {"m1"}),
        ({"overdue": "false"}, {"m2", "m3"}),
        ({"status": "done"}, {"m3"}),
        ({"status": "pending"}, {"m1", "m2"}),
    ],
)
def test_milestone_list_filters(client_for, alice, register, mid_january, params, expected) -> None:
    assert _codes(client_for(alice).get("/api/milestones/", _fill(params, register))) == expected


def test_milestone_output_flags_overdue_and_moves(client_for, alice, register, mid_january) -> None:
    Milestone.objects.filter(pk=register.m2.pk).update(original_due_date=date(2025, 3, 31))
    rows = {row["code"]: row for row in client_for(alice).get("/api/milestones/").json()["results"]}
    assert (rows["m1"]["overdue"], rows["m2"]["overdue"], rows["m3"]["overdue"]) == (True, False, False)
    assert (rows["m1"]["moved"], rows["m2"]["moved"]) == (False, True)
    assert rows["m2"]["original_due_date"] == "2025-03-31"
    assert rows["m2"]["owner_unit"]["code"] == "kjj"
    assert rows["m1"]["owner_unit"] is None
    assert rows["m1"]["task"]["code"] == "1.1"
    assert rows["m1"]["plan"]["code"] == "cq"


def test_overdue_counts_days_in_shanghai_not_utc(client_for, alice, time_machine) -> None:
    task = make_task(make_plan("tz"), "1")
    make_milestone(task, "yesterday", date(2025, 1, 14))
    # 00:30 on the 15th in Chongqing is still the 14th in UTC: the milestone is already overdue.
    time_machine.move_to(datetime(2025, 1, 15, 0, 30, tzinfo=SHANGHAI), tick=False)
    client = client_for(alice)
    assert _codes(client.get("/api/milestones/", {"overdue": "true"})) == {"yesterday"}
    assert client.get("/api/milestones/").json()["results"][0]["overdue"] is True
    time_machine.move_to(datetime(2025, 1, 14, 23, 30, tzinfo=SHANGHAI), tick=False)
    assert _codes(client.get("/api/milestones/", {"overdue": "true"})) == set()


# --- detail routes and visibility -------------------------------------------------------------

DETAILS = [
    ("plans", "plan", "draft"),
    ("tasks", "task_1_1", "draft_task"),
    ("indicators", "indicator", "draft_indicator"),
    ("milestones", "m1", "draft_milestone"),
]


@pytest.mark.parametrize(("route", "visible", "draft"), DETAILS)
def test_draft_plan_objects_are_not_found_for_non_supervisors(
    client_for, alice, leo, sam, register, route, visible, draft
) -> None:
    draft_url = f"/api/{route}/{getattr(register, draft).pk}/"
    assert client_for(alice).get(f"/api/{route}/{getattr(register, visible).pk}/").status_code == 200
    assert client_for(alice).get(draft_url).status_code == 404
    assert client_for(leo).get(draft_url).status_code == 404
    assert client_for(sam).get(draft_url).status_code == 200


@pytest.mark.parametrize("route", ["units", "plans", "tasks", "indicators", "milestones"])
def test_unknown_id_is_not_found(client_for, sam, register, route) -> None:
    assert client_for(sam).get(f"/api/{route}/999999/").status_code == 404


def test_task_list_is_paginated_by_fifty(client_for, alice) -> None:
    plan = make_plan("big")
    for number in range(1, 56):
        make_task(plan, str(number))
    client = client_for(alice)
    first = client.get("/api/tasks/", {"plan": "big"}).json()
    assert first["count"] == 55
    assert [row["code"] for row in first["results"]][:3] == ["1", "2", "3"]  # natural code order
    assert len(first["results"]) == 50
    second = client.get("/api/tasks/", {"plan": "big", "page": 2}).json()
    assert [row["code"] for row in second["results"]] == ["51", "52", "53", "54", "55"]
    assert second["previous"] is not None
    assert client.get("/api/tasks/", {"plan": "big", "page": 3}).status_code == 404
