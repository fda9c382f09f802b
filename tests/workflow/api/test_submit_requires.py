"""A submit carries what a reviewer needs (issue 7, item 13): a part and the consolidated report need a narrative
and a percent; each milestone claimed as completed needs a completion date and evidence (text, or a file attached
to that milestone). A draft may be saved without any of it. What is missing is named: 400 with field errors in
the API, the field's name on the page; and nothing changes."""

from __future__ import annotations

import pytest
import time_machine

from tasks.models import Report
from tests.support import valid_report
from tests.workflow.api.conftest import PDF_BYTES, build_stage, upload
from tests.workflow.conftest import fill_and_sign
from workflow import services


@pytest.fixture(autouse=True)
def _after_the_round_due_date():
    with time_machine.travel("2025-10-08 10:00 +0800"):
        yield


def claim(world, **row):
    return {"milestone": world.milestone.pk, "completed_date": "2025-09-28", **row}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["narrative", "percent_complete"]),
        ({"narrative": "进展"}, ["percent_complete"]),
        ({"percent_complete": "40"}, ["narrative"]),
        ({"narrative": "   \n ", "percent_complete": "40"}, ["narrative"]),
        ({"narrative": "进展", "percent_complete": None}, ["percent_complete"]),
        (
            {"narrative": "进展", "percent_complete": "40", "milestone_claims": "CLAIM"},
            ["milestone_claims[0].evidence"],
        ),
        (
            {"narrative": "进展", "percent_complete": "40", "milestone_claims": "CLAIM-BLANK"},
            ["milestone_claims[0].evidence"],
        ),
        (
            {"narrative": "进展", "percent_complete": "40", "milestone_claims": "CLAIM-NO-DATE"},
            ["milestone_claims[0].completed_date"],
        ),
    ],
)
def test_an_incomplete_part_is_not_submitted_and_the_api_names_what_is_missing(world, client_of, body, fields):
    stage = build_stage(world, "draft")
    claims = {
        "CLAIM": [claim(world)],
        "CLAIM-BLANK": [claim(world, evidence="  ")],
        "CLAIM-NO-DATE": [{"milestone": world.milestone.pk, "evidence": "验收报告"}],
    }
    if "milestone_claims" in body:
        body = {**body, "milestone_claims": claims[body["milestone_claims"]]}
    response = client_of("fgw-r").post(f"/api/reports/{stage.part.pk}/submit/", body, format="json")
    assert response.status_code == 400, response.content
    assert sorted(response.json()["errors"]) == fields
    part = Report.objects.get(pk=stage.part.pk)
    assert (part.status, part.version, part.narrative) == ("draft", stage.part.version, "")


def test_the_message_names_the_milestone_that_lacks_evidence(world, client_of):
    stage = build_stage(world, "draft")
    body = {"narrative": "进展", "percent_complete": "40", "milestone_claims": [claim(world)]}
    response = client_of("fgw-r").post(f"/api/reports/{stage.part.pk}/submit/", body, format="json")
    [message] = response.json()["errors"]["milestone_claims[0].evidence"]
    assert world.milestone.title in message


def test_what_a_saved_draft_lacks_is_named_when_it_is_submitted(world, client_of):
    stage = build_stage(world, "draft")
    client = client_of("fgw-r")
    assert (
        client.patch(f"/api/reports/{stage.part.pk}/", {"milestone_claims": [claim(world)]}, format="json").status_code
        == 200
    ), "a draft may be saved incomplete"
    response = client.post(f"/api/reports/{stage.part.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["milestone_claims[0].evidence", "narrative", "percent_complete"]


def test_a_file_attached_to_the_milestone_is_evidence_enough(world, client_of, media_root):
    stage = build_stage(world, "draft")
    client = client_of("fgw-r")
    assert (
        client.post(
            f"/api/reports/{stage.part.pk}/attachments/",
            {"file": upload("验收报告.pdf", PDF_BYTES), "milestone": world.milestone.pk},
            format="multipart",
        ).status_code
        == 201
    )
    response = client.post(
        f"/api/reports/{stage.part.pk}/submit/",
        {"narrative": "进展", "percent_complete": "40", "milestone_claims": [claim(world)]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"


def test_a_file_attached_to_another_milestone_or_to_none_is_not(world, client_of, media_root):
    stage = build_stage(world, "draft")
    client = client_of("fgw-r")
    assert (
        client.post(
            f"/api/reports/{stage.part.pk}/attachments/", {"file": upload("其他.pdf", PDF_BYTES)}, format="multipart"
        ).status_code
        == 201
    )
    response = client.post(
        f"/api/reports/{stage.part.pk}/submit/",
        {"narrative": "进展", "percent_complete": "40", "milestone_claims": [claim(world)]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["milestone_claims[0].evidence"]


def test_a_complete_part_is_submitted(world, client_of):
    stage = build_stage(world, "draft")
    body = valid_report(milestone_claims=[claim(world, evidence="验收报告")])
    response = client_of("fgw-r").post(f"/api/reports/{stage.part.pk}/submit/", body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_the_consolidated_report_needs_a_narrative_and_a_percent_too(world, client_of):
    stage = build_stage(world, "consolidating")
    client = client_of("jxw-r")
    assert (
        client.patch(
            f"/api/reports/{stage.task.pk}/", {"narrative": "", "percent_complete": None}, format="json"
        ).status_code
        == 200
    )
    response = client.post(f"/api/reports/{stage.task.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["narrative", "percent_complete"]
    assert Report.objects.get(pk=stage.task.pk).status == "consolidating"


def test_a_consolidated_claim_may_rest_on_a_file_of_the_part_that_made_it(world, media_root):
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    services.report_attach(
        actor=world["fgw-r"],
        report_id=part.pk,
        upload=upload("验收报告.pdf", PDF_BYTES),
        milestone_id=world.milestone.pk,
    )
    fill_and_sign(world, round_, "fgw", milestone_claims=[claim(world, evidence="")])
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    assert task_report.milestone_claims.get().evidence == ""
    done = services.report_submit(actor=world["jxw-r"], report_id=task_report.pk)
    assert done.status == "lead_sign_off"


def test_the_fill_page_names_the_missing_fields_and_keeps_the_typing(world, page_client_of):
    stage = build_stage(world, "draft")
    form = {
        "version": stage.part.version,
        "narrative": "写了一半",
        "percent_complete": "",
        f"milestone-{world.milestone.pk}-done": "1",
        f"milestone-{world.milestone.pk}-date": "2025-09-28",
        f"milestone-{world.milestone.pk}-evidence": "",
    }
    response = page_client_of("fgw-r").post(f"/reports/{stage.part.pk}/submit/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "完成百分比：提交前请填写完成百分比。" in html
    assert f"{world.milestone.title}：节点“{world.milestone.title}”标记为已完成" in html
    assert ">写了一半</textarea>" in html
    assert Report.objects.get(pk=stage.part.pk).status == "draft"


def test_saving_a_draft_on_the_page_needs_none_of_it(world, page_client_of):
    stage = build_stage(world, "draft")
    response = page_client_of("fgw-r").post(
        f"/reports/{stage.part.pk}/save/", {"version": stage.part.version, "narrative": "", "percent_complete": ""}
    )
    assert response.status_code == 302


@pytest.fixture
def page_client_of(world):
    from django.test import Client

    def make(name):
        client = Client()
        client.force_login(world[name])
        return client

    return make
