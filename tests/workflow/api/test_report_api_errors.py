"""How the API answers what the services refuse: 409 for a second click or a stale version, 400 with
field errors for bad input — and nothing changes when it does."""

from __future__ import annotations

import pytest
import time_machine

from tasks.models import Report
from tests.factories import make_indicator, make_milestone, make_task
from tests.support import valid_report
from tests.workflow.api.conftest import build_stage


@pytest.mark.parametrize(("stage", "persona", "which", "action"), [
    ("draft", "fgw-r", "part", "submit"),
    ("submitted", "fgw-h", "part", "sign-off"),
    ("consolidating", "jxw-r", "task", "submit"),
    ("in_review", "sam", "task", "approve"),
])
def test_a_second_click_is_a_conflict(world, client_of, stage, persona, which, action):
    report_id = build_stage(world, stage).ids()[which]
    client = client_of(persona)
    body = valid_report() if action == "submit" else {}
    assert client.post(f"/api/reports/{report_id}/{action}/", body, format="json").status_code == 200
    version = Report.objects.get(pk=report_id).version
    second = client.post(f"/api/reports/{report_id}/{action}/", body, format="json")
    assert second.status_code == 409
    assert second.json()["detail"]
    assert Report.objects.get(pk=report_id).version == version


def test_a_second_return_is_a_conflict(world, client_of):
    stage = build_stage(world, "submitted")
    client = client_of("fgw-h")
    assert client.post(f"/api/reports/{stage.part.pk}/return/", {"reason": "重填"}, format="json").status_code == 200
    assert client.post(f"/api/reports/{stage.part.pk}/return/", {"reason": "重填"}, format="json").status_code == 409


@pytest.mark.parametrize(("method", "action", "body"), [
    ("patch", "", {"narrative": "后来者"}),
    ("post", "submit/", {}),
])
def test_a_stale_version_is_a_conflict(world, client_of, method, action, body):
    stage = build_stage(world, "draft")
    client = client_of("fgw-r")
    read = client.get(f"/api/reports/{stage.part.pk}/").json()["version"]
    assert client.patch(f"/api/reports/{stage.part.pk}/", {"narrative": "先到", "version": read},
                        format="json").status_code == 200
    response = getattr(client, method)(f"/api/reports/{stage.part.pk}/{action}", {**body, "version": read},
                                       format="json")
    assert response.status_code == 409
    part = Report.objects.get(pk=stage.part.pk)
    assert (part.narrative, part.status, part.version) == ("先到", "draft", read + 1)


def test_a_current_version_is_accepted(world, client_of):
    stage = build_stage(world, "submitted")
    version = client_of("fgw-h").get(f"/api/reports/{stage.part.pk}/").json()["version"]
    response = client_of("fgw-h").post(f"/api/reports/{stage.part.pk}/sign-off/", {"version": version},
                                       format="json")
    assert response.status_code == 200


# --- 400 with field errors ---------------------------------------------------------------------------


@time_machine.travel("2025-10-08 10:00 +0800")
@pytest.mark.parametrize(("body", "field"), [
    ({"percent_complete": "150"}, "percent_complete"),
    ({"percent_complete": "-1"}, "percent_complete"),
    ({"percent_complete": "很多"}, "percent_complete"),
    ({"indicator_values": [{"indicator": "OTHER", "value": "1"}]}, "indicator_values[0]"),
    ({"indicator_values": [{"indicator": "MINE", "value": "不是数"}]}, "indicator_values[0].value"),
    ({"milestone_claims": [{"milestone": "MINE", "completed_date": "2025-10-09"}]},
     "milestone_claims[0].completed_date"),
    ({"milestone_claims": [{"milestone": "MINE", "completed_date": "0001-01-01"}]},
     "milestone_claims[0].completed_date"),
    ({"milestone_claims": [{"milestone": "MINE", "completed_date": "2021-12-31"}]},
     "milestone_claims[0].completed_date"),
    ({"milestone_claims": [{"milestone": "OTHER", "completed_date": "2025-10-01"}]}, "milestone_claims[0]"),
    ({"milestone_claims": [{"milestone": "MINE", "completed_date": "昨天"}]}, "milestone_claims[0].completed_date"),
    ({"version": "x"}, "version"),
])
def test_bad_draft_input_is_a_field_error_and_changes_nothing(world, client_of, body, field):
    other = make_task(world.plan, "1.2", parent=world.task.parent)
    refs = {"MINE": {"indicator": world.indicator.pk, "milestone": world.milestone.pk},
            "OTHER": {"indicator": make_indicator(other, "I9").pk,
                      "milestone": make_milestone(other, "M9", world.milestone.due_date).pk}}
    for key in ("indicator_values", "milestone_claims"):
        for row in body.get(key, []):
            ref = "indicator" if key == "indicator_values" else "milestone"
            row[ref] = refs[row[ref]][ref]
    stage = build_stage(world, "draft")
    response = client_of("fgw-r").patch(f"/api/reports/{stage.part.pk}/", {"narrative": "改了", **body},
                                        format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert errors[field] and all(isinstance(message, str) for message in errors[field])
    part = Report.objects.get(pk=stage.part.pk)
    assert (part.narrative, part.version) == ("", stage.part.version)


@pytest.mark.parametrize(("body", "message"), [
    ({}, None),
    ({"reason": "   "}, "退回必须填写理由。"),
])
def test_a_return_without_a_reason_is_refused(world, client_of, body, message):
    stage = build_stage(world, "submitted")
    response = client_of("fgw-h").post(f"/api/reports/{stage.part.pk}/return/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    if message:
        assert response.json()["errors"]["reason"] == [message]
    assert Report.objects.get(pk=stage.part.pk).status == "submitted"


def test_returning_a_part_of_another_task_is_a_field_error(world, client_of):
    other = make_task(world.plan, "1.2", parent=world.task.parent, responsible=("市发展改革委",))
    stage = build_stage(world, "in_review")
    foreign_part = world.part(stage.round, "市发展改革委", task=other)
    response = client_of("sam").post(f"/api/reports/{stage.task.pk}/return/",
                                     {"reason": "退回", "part": foreign_part.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["part"]
    assert Report.objects.get(pk=stage.task.pk).status == "in_review"


@pytest.mark.parametrize(("body", "field"), [
    ({"plan": "wf", "period": "2025-Q5", "due_date": "2026-01-10"}, "period"),
    ({"plan": "nope", "period": "2025-Q4", "due_date": "2026-01-10"}, "plan"),
    ({"plan": "wf", "period": "2025-Q4", "due_date": "2025-09-30"}, "due_date"),
    ({"plan": "wf", "period": "2025-Q4"}, "due_date"),
    # Within the plan's span (2023-01-01 to 2027-12-31), due at most a year after the period ends.
    ({"plan": "wf", "period": "9999-Q4", "due_date": "9999-12-31"}, "period"),
    ({"plan": "wf", "period": "2022-12", "due_date": "2023-01-10"}, "period"),
    ({"plan": "wf", "period": "2028-Q1", "due_date": "2028-04-10"}, "period"),
    ({"plan": "wf", "period": "2025-Q4", "due_date": "2027-06-30"}, "due_date"),
])
def test_bad_round_input_is_a_field_error(world, client_of, body, field):
    response = client_of("sam").post("/api/rounds/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Report.objects.exists()


def test_unknown_reports_and_rounds_are_404(world, client_of):
    sam = client_of("sam")
    assert sam.get("/api/reports/999999/").status_code == 404
    assert sam.post("/api/reports/999999/approve/").status_code == 404
    assert sam.get("/api/rounds/999999/").status_code == 404


def test_the_period_error_says_the_plan_span(world, client_of):
    response = client_of("sam").post("/api/rounds/", {"plan": "wf", "period": "9999-Q4", "due_date": "9999-12-31"},
                                     format="json")
    [message] = response.json()["errors"]["period"]
    assert "2023-01-01" in message and "2027-12-31" in message


@pytest.mark.parametrize("period", ["2023-01", "2027-Q4"])
def test_the_first_and_last_periods_of_the_plan_open(world, client_of, period):
    due = "2028-01-10" if period == "2027-Q4" else "2023-02-10"
    response = client_of("sam").post("/api/rounds/", {"plan": "wf", "period": period, "due_date": due},
                                     format="json")
    assert response.status_code == 202, response.content


@time_machine.travel("2025-10-08 10:00 +0800")
def test_a_claim_date_error_says_the_allowed_range(world, client_of):
    stage = build_stage(world, "draft")
    body = {"milestone_claims": [{"milestone": world.milestone.pk, "completed_date": "0001-01-01"}]}
    response = client_of("fgw-r").patch(f"/api/reports/{stage.part.pk}/", body, format="json")
    [message] = response.json()["errors"]["milestone_claims[0].completed_date"]
    assert "2022-01-01" in message and "2025-10-08" in message
