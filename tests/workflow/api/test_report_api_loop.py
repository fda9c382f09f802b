"""The reporting loop through the API: open a round, fill, sign off, consolidate, review; returns at every
level and the resubmission; the inbox per persona; lists; a task's history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tasks.models import IndicatorValue, Milestone, Report, ReportingRound
from tests.factories import make_plan, make_task
from tests.support import submit_report, valid_report
from tests.workflow.api.conftest import PDF_BYTES, build_stage, upload
from tests.workflow.conftest import fill_and_sign
from workflow import services

SHANGHAI_MORNING = "2025-10-08 10:00 +0800"


def _open_round(client: APIClient, *, capture: Callable, period: str = "2025-Q3", due: str = "2025-10-10",
                plan: str | int = "wf") -> Any:
    with capture(execute=True):
        return client.post("/api/rounds/", {"plan": plan, "period": period, "due_date": due}, format="json")


@time_machine.travel(SHANGHAI_MORNING)
def test_happy_path_from_opening_to_approval(world, client_of, media_root, django_capture_on_commit_callbacks):
    sam, fgw_r, fgw_h, kjj_r, kjj_h, jxw_r = map(client_of, ("sam", "fgw-r", "fgw-h", "kjj-r", "kjj-h", "jxw-r"))
    response = _open_round(sam, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 202
    round_id = response.json()["id"]
    assert response["Location"] == f"/api/rounds/{round_id}/"
    detail = sam.get(f"/api/rounds/{round_id}/").json()
    assert (detail["status"], detail["tasks_total"], detail["tasks_opened"]) == ("open", 1, 1)
    assert detail["counts"]["parts"] == 2 and detail["counts"]["submitted"] == 0

    [item] = fgw_r.get("/api/inbox/").json()["results"]
    part_id = item["id"]
    assert (item["step"], item["unit"]["code"], item["task"]["code"]) == ("fill", "fgw", "1.1")
    assert (item["due_date"], item["overdue"], item["link"]) == ("2025-10-10", False, f"/reports/{part_id}/")
    assert item["round"] == {"id": round_id, "period": "2025-Q3", "due_date": "2025-10-10"}

    response = fgw_r.patch(f"/api/reports/{part_id}/", {
        "narrative": "已完成年度目标的一半", "percent_complete": "50", "version": item["version"],
        "indicator_values": [{"indicator": world.indicator.pk, "value": "14.5", "note": "统计快报"}],
        "milestone_claims": [{"milestone": world.milestone.pk, "completed_date": "2025-09-28", "evidence": "验收"}],
    }, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["version"] == item["version"] + 1
    [value] = body["indicator_values"]
    assert (value["name"], value["unit_of_measure"], value["value"], value["note"]) == ("指标 I1", "%", "14.5000",
                                                                                      "统计快报")
    assert body["milestone_claims"][0]["completed_date"] == "2025-09-28"
    assert body["actions"] == ["edit", "submit"]
    assert fgw_r.post(f"/api/reports/{part_id}/attachments/", {"file": upload("验收报告.pdf", PDF_BYTES)},
                      format="multipart").status_code == 201

    body = fgw_r.post(f"/api/reports/{part_id}/submit/", {"version": body["version"] + 1}, format="json").json()
    assert (body["status"], body["step"], body["on_time"], body["actions"]) == ("submitted", "sign_off", True, [])
    body = fgw_h.post(f"/api/reports/{part_id}/sign-off/", {}, format="json").json()
    assert (body["status"], body["step"]) == ("signed_off", None)

    kjj_part = kjj_r.get("/api/inbox/").json()["results"][0]["id"]
    assert kjj_r.patch(f"/api/reports/{kjj_part}/", {"narrative": "平台建设推进中"}, format="json").status_code == 200
    assert kjj_r.post(f"/api/reports/{kjj_part}/submit/", {"percent_complete": "40"}, format="json").status_code == 200
    assert kjj_h.post(f"/api/reports/{kjj_part}/sign-off/").status_code == 200

    [item] = jxw_r.get("/api/inbox/").json()["results"]
    assert (item["step"], item["kind"], item["unit"]["code"]) == ("consolidate", "task", "jxw")
    task_report = jxw_r.get(f"/api/reports/{item['id']}/").json()
    assert "已完成年度目标的一半" in task_report["narrative"] and "平台建设推进中" in task_report["narrative"]
    assert [part["unit"]["code"] for part in task_report["parts"]] == ["fgw", "kjj"]
    assert {part["status"] for part in task_report["parts"]} == {"signed_off"}
    assert task_report["indicator_values"][0]["value"] == "14.5000", "pre-filled from the parts"
    assert task_report["actions"] == ["edit", "submit"]
    assert jxw_r.patch(f"/api/reports/{item['id']}/", {"narrative": "汇总：进展顺利"},
                       format="json").status_code == 200
    assert jxw_r.post(f"/api/reports/{item['id']}/submit/").json()["status"] == "lead_sign_off"

    # The lead unit's head signs the consolidated report off (审签) before it goes to review.
    jxw_h = client_of("jxw-h")
    [item] = jxw_h.get("/api/inbox/").json()["results"]
    assert (item["step"], item["kind"]) == ("lead_sign_off", "task")
    assert jxw_h.get(f"/api/reports/{item['id']}/").json()["actions"] == ["sign_off", "return"]
    assert jxw_h.post(f"/api/reports/{item['id']}/sign-off/").json()["status"] == "in_review"

    [item] = sam.get("/api/inbox/").json()["results"]
    assert item["step"] == "review"
    assert sam.get(f"/api/reports/{item['id']}/").json()["actions"] == ["return", "approve"]
    body = sam.post(f"/api/reports/{item['id']}/approve/").json()
    assert (body["status"], body["actions"]) == ("approved", [])

    world.milestone.refresh_from_db()
    assert (world.milestone.status, world.milestone.completed_date) == (Milestone.Status.DONE, date(2025, 9, 28))
    assert IndicatorValue.objects.get(indicator=world.indicator).value == 14.5
    counts = sam.get(f"/api/rounds/{round_id}/").json()["counts"]
    assert (counts["tasks_approved"], counts["submitted"], counts["signed_off"]) == (1, 2, 2)
    for name in ("fgw-r", "kjj-r", "jxw-r", "sam"):
        assert client_of(name).get("/api/inbox/").json()["count"] == 0


def test_opening_twice_answers_200_with_the_same_round_and_starts_nothing(
        world, client_of, django_capture_on_commit_callbacks):
    sam = client_of("sam")
    first = _open_round(sam, capture=django_capture_on_commit_callbacks)
    assert first.status_code == 202
    reports = Report.objects.count()
    assert reports == 3
    for plan in ("wf", world.plan.pk):
        again = _open_round(sam, plan=plan, capture=django_capture_on_commit_callbacks)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
    assert Report.objects.count() == reports
    assert ReportingRound.objects.count() == 1


def test_round_detail_shows_unit_rows_to_supervisors_only(world, client_of):
    stage = build_stage(world, "submitted")
    rows = client_of("sam").get(f"/api/rounds/{stage.round.pk}/").json()["units"]
    assert {row["unit"]["code"]: (row["parts"], row["submitted"], row["missing"]) for row in rows} == {
        "fgw": (1, 1, 0), "kjj": (1, 0, 1), "jxw": (0, 0, 0)}  # the lead unit: its task report, no part
    for name in ("fgw-r", "jxw-r", "leo"):
        body = client_of(name).get(f"/api/rounds/{stage.round.pk}/").json()
        assert body["units"] is None
        assert body["counts"]["submitted"] == 1
    assert [row["period"] for row in client_of("fgw-r").get("/api/rounds/").json()["results"]] == ["2025-Q3"]


def _inbox(client: APIClient) -> list[tuple[str, str, str]]:
    return [(item["step"], item["kind"], item["unit"]["code"]) for item in client.get("/api/inbox/").json()["results"]]


INBOX = {
    # stage: expected items per persona (fgw-r, kjj-r, fgw-h, jxw-r, sam, leo)
    "draft": ([("fill", "part", "fgw")], [("fill", "part", "kjj")], [], [], [], []),
    "submitted": ([], [("fill", "part", "kjj")], [("sign_off", "part", "fgw")], [], [], []),
    "consolidating": ([], [], [], [("consolidate", "task", "jxw")], [], []),
    "in_review": ([], [], [], [], [("review", "task", "jxw")], []),
}


@pytest.mark.parametrize("stage", list(INBOX))
def test_the_inbox_shows_exactly_what_waits_for_each_persona(world, client_of, stage):
    build_stage(world, stage)
    personas = ("fgw-r", "kjj-r", "fgw-h", "jxw-r", "sam", "leo")
    assert {name: _inbox(client_of(name)) for name in personas} == dict(zip(personas, INBOX[stage], strict=True))
    counts = client_of("fgw-h").get("/api/inbox/counts/").json()
    assert counts == {"fill": 0, "sign_off": 1 if stage == "submitted" else 0, "consolidate": 0, "review": 0,
                      "total": 1 if stage == "submitted" else 0, "overdue": counts["overdue"]}


@time_machine.travel("2025-10-12 09:00 +0800")
def test_overdue_items_are_flagged_by_shanghai_date(world, client_of):
    world.open_round(due=date(2025, 10, 11))
    [item] = client_of("fgw-r").get("/api/inbox/").json()["results"]
    assert item["overdue"] is True
    assert client_of("fgw-r").get("/api/inbox/counts/").json() == {
        "fill": 1, "sign_off": 0, "consolidate": 0, "review": 0, "total": 1, "overdue": 1}


def _queries(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.json()["count"], len(queries)


def test_inbox_and_report_list_queries_do_not_grow_with_the_items(world, client_of):
    make_task(world.plan, "1.2", parent=world.task.parent, responsible=("市发展改革委",))
    world.open_round()
    client = client_of("fgw-r")
    items, inbox_queries = _queries(client, "/api/inbox/")
    listed, list_queries = _queries(client, "/api/reports/")
    assert (items, listed) == (2, 2)

    plan = make_plan("wf2")
    parent = make_task(plan, "1", lead=None)
    for n in range(18):
        make_task(plan, f"1.{n + 1}", parent=parent, responsible=("市发展改革委",))
    round_, _ = services.round_open(actor=world["sam"], plan=plan, period="2025-Q3", due_date=date(2025, 10, 10))
    services.round_open_run(round_id=round_.pk)
    assert _queries(client, "/api/inbox/") == (20, inbox_queries)
    assert _queries(client, "/api/reports/") == (20, list_queries)


# --- returns ------------------------------------------------------------------------------------------


def test_the_head_returns_inside_the_unit_and_the_reporter_resubmits(world, client_of):
    stage = build_stage(world, "submitted")
    fgw_r, fgw_h = client_of("fgw-r"), client_of("fgw-h")
    body = fgw_h.post(f"/api/reports/{stage.part.pk}/return/", {"reason": "数据口径不对"}, format="json").json()
    assert (body["status"], body["times_returned"], body["last_return_reason"]) == ("draft", 1, "数据口径不对")
    assert _inbox(fgw_r) == [("fill", "part", "fgw")]
    assert _inbox(fgw_h) == []
    assert fgw_r.post(f"/api/reports/{stage.part.pk}/submit/").json()["status"] == "submitted"
    assert fgw_h.post(f"/api/reports/{stage.part.pk}/sign-off/").json()["status"] == "signed_off"


def test_the_lead_unit_returns_one_part_which_comes_back_through_its_unit(world, client_of):
    stage = build_stage(world, "consolidating")
    kjj_part = world.part(stage.round, "市科技局")
    jxw_r, kjj_r, kjj_h = client_of("jxw-r"), client_of("kjj-r"), client_of("kjj-h")
    body = jxw_r.post(f"/api/reports/{kjj_part.pk}/return/", {"reason": "缺少佐证"}, format="json").json()
    assert (body["status"], body["last_return_reason"]) == ("draft", "缺少佐证")
    assert jxw_r.get(f"/api/reports/{stage.task.pk}/").json()["status"] == "waiting"
    assert _inbox(jxw_r) == []
    assert _inbox(kjj_r) == [("fill", "part", "kjj")]
    assert kjj_r.post(f"/api/reports/{kjj_part.pk}/submit/").status_code == 200
    assert kjj_h.post(f"/api/reports/{kjj_part.pk}/sign-off/").status_code == 200
    assert _inbox(jxw_r) == [("consolidate", "task", "jxw")]
    assert jxw_r.post(f"/api/reports/{stage.task.pk}/submit/").json()["status"] == "lead_sign_off"
    assert client_of("jxw-h").post(f"/api/reports/{stage.task.pk}/sign-off/").json()["status"] == "in_review"


def test_the_supervisor_returns_to_the_lead_unit_which_resubmits(world, client_of):
    stage = build_stage(world, "in_review")
    sam, jxw_r = client_of("sam"), client_of("jxw-r")
    body = sam.post(f"/api/reports/{stage.task.pk}/return/", {"reason": "汇总不完整"}, format="json").json()
    assert (body["status"], body["times_returned"], body["last_return_reason"]) == (
        "consolidating", 1, "汇总不完整")
    assert _inbox(jxw_r) == [("consolidate", "task", "jxw")]
    assert jxw_r.patch(f"/api/reports/{stage.task.pk}/", {"narrative": "补充完整"}, format="json").status_code == 200
    assert jxw_r.post(f"/api/reports/{stage.task.pk}/submit/").json()["status"] == "lead_sign_off"
    assert client_of("jxw-h").post(f"/api/reports/{stage.task.pk}/sign-off/").json()["status"] == "in_review"
    assert sam.post(f"/api/reports/{stage.task.pk}/approve/").json()["status"] == "approved"


def test_the_supervisor_returns_one_named_part_to_its_unit(world, client_of):
    stage = build_stage(world, "in_review")
    sam, fgw_r, fgw_h, jxw_r = map(client_of, ("sam", "fgw-r", "fgw-h", "jxw-r"))
    body = sam.post(f"/api/reports/{stage.task.pk}/return/", {"reason": "发改委数据有误", "part": stage.part.pk},
                    format="json").json()
    assert (body["status"], body["times_returned"]) == ("waiting", 1)
    assert [(p["unit"]["code"], p["status"]) for p in body["parts"]] == [("fgw", "draft"), ("kjj", "signed_off")]
    part = fgw_r.get(f"/api/reports/{stage.part.pk}/").json()
    assert (part["last_return_reason"], part["actions"]) == ("发改委数据有误", ["edit", "submit"])
    assert _inbox(fgw_r) == [("fill", "part", "fgw")]
    assert fgw_r.post(f"/api/reports/{stage.part.pk}/submit/").status_code == 200
    assert fgw_h.post(f"/api/reports/{stage.part.pk}/sign-off/").status_code == 200
    assert jxw_r.post(f"/api/reports/{stage.task.pk}/submit/").status_code == 200
    assert client_of("jxw-h").post(f"/api/reports/{stage.task.pk}/sign-off/").status_code == 200
    body = sam.post(f"/api/reports/{stage.task.pk}/approve/").json()
    assert (body["status"], body["times_returned"]) == ("approved", 1)


# --- reads ---------------------------------------------------------------------------------------------


def test_last_period_values_come_with_the_report(world, client_of):
    first = world.open_round("2025-Q2", date(2025, 7, 10))
    fill_and_sign(world, first, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "12"}],
                  percent_complete="40")
    fill_and_sign(world, first, "kjj")
    submit_report(actor=world["jxw-r"], report_id=world.task_report(first).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(first).pk)
    services.report_approve(actor=world["sam"], report_id=world.task_report(first).pk)
    second = world.open_round("2025-Q3", date(2025, 10, 10))
    body = client_of("fgw-r").get(f"/api/reports/{world.part(second, '市发展改革委').pk}/").json()
    previous = body["previous"]
    assert (previous["round"]["period"], previous["percent_complete"]) == ("2025-Q2", "40.00")
    assert [(v["name"], v["value"]) for v in previous["indicator_values"]] == [("指标 I1", "12.0000")]
    first_body = client_of("fgw-r").get(f"/api/reports/{world.part(first, '市发展改革委').pk}/").json()
    assert first_body["previous"] is None


@pytest.mark.parametrize(("query", "expected"), [
    ("", {("part", "fgw")}),
    ("?unit=fgw", {("part", "fgw")}),
    ("?unit=kjj", set()),
    ("?kind=task", set()),
    ("?status=draft", {("part", "fgw")}),
    ("?status=submitted", set()),
])
def test_a_reporter_lists_only_the_reports_of_its_units(world, client_of, query, expected):
    build_stage(world, "draft")
    results = client_of("fgw-r").get(f"/api/reports/{query}").json()["results"]
    assert {(r["kind"], r["unit"]["code"]) for r in results} == expected


def test_report_list_filters_for_a_supervisor(world, client_of):
    stage = build_stage(world, "submitted")
    sam = client_of("sam")

    def listed(query: str) -> set[tuple[str, str]]:
        return {(r["kind"], r["unit"]["code"]) for r in sam.get(f"/api/reports/{query}").json()["results"]}

    everything = {("part", "fgw"), ("part", "kjj"), ("task", "jxw")}
    assert listed("") == everything
    assert listed(f"?round={stage.round.pk}&task={world.task.pk}") == everything
    assert listed(f"?round={stage.round.pk + 1}") == set()
    assert listed(f"?unit={stage.part.unit_id}") == {("part", "fgw")}
    assert listed("?unit=jxw") == {("task", "jxw")}
    assert listed("?status=submitted") == {("part", "fgw")}
    assert listed("?kind=part") == {("part", "fgw"), ("part", "kjj")}
    assert sam.get("/api/reports/?status=nonsense").status_code == 400


def test_history_shows_who_did_what_and_why(world, client_of):
    stage = build_stage(world, "submitted")
    client_of("fgw-h").post(f"/api/reports/{stage.part.pk}/return/", {"reason": "数据口径不对"}, format="json")
    # 市科技局, the other responsible unit, does not read 市发展改革委's part nor its return reason.
    assert client_of("kjj-r").get(f"/api/tasks/{world.task.pk}/history/").json()["count"] == 0
    for name in ("fgw-r", "jxw-r", "sam", "leo"):
        body = client_of(name).get(f"/api/tasks/{world.task.pk}/history/").json()
        assert body["count"] == 2
    latest, first = body["results"]
    assert (latest["action"], latest["actor"]["username"], latest["unit"]["code"]) == (
        "report.return_in_unit", world["fgw-h"].username, "fgw")
    assert latest["object"] == {"type": "report", "id": stage.part.pk}  # ids are integers
    assert (latest["before"], latest["after"]["status"], latest["comment"]) == (
        {"status": "submitted"}, "draft", "数据口径不对")
    assert (first["action"], first["actor"]["username"]) == ("report.submit", world["fgw-r"].username)
    assert latest["time"] >= first["time"]


def test_a_report_says_when_its_current_step_started(world, client_of):
    import time_machine

    with time_machine.travel("2025-10-01 09:00 +0800", tick=False):
        round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    assert client_of("fgw-r").get(f"/api/reports/{part.pk}/").json()["step_started_at"].startswith("2025-10-01T09:00")
    with time_machine.travel("2025-10-03 15:30 +0800", tick=False):
        assert client_of("fgw-r").post(f"/api/reports/{part.pk}/submit/", valid_report(),
                                       format="json").status_code == 200
    body = client_of("fgw-h").get(f"/api/reports/{part.pk}/").json()
    assert (body["step"], body["step_started_at"][:16]) == ("sign_off", "2025-10-03T15:30")


def test_a_deep_inbox_page_is_read_by_ids_first_in_the_same_order(world, client_of):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow import selectors

    tasks = [make_task(world.plan, f"1.{n}", parent=world.task.parent, responsible=("市发展改革委",))
             for n in range(2, 14)]
    round_ = world.open_round()
    everything = list(selectors.inbox(user=world["fgw-r"]).values_list("pk", flat=True))
    assert len(everything) == len(tasks) + 1
    with CaptureQueriesContext(connection) as queries:
        page = selectors.inbox(user=world["fgw-r"])[5:10]
    assert [report.pk for report in page] == everything[5:10]
    ids_query = queries.captured_queries[-2]["sql"]
    assert "JOIN" not in ids_query.upper() or "tasks_plantask" not in ids_query, "ids are picked on narrow rows"
    assert all(report.round.period == round_.period and report.task.code for report in page)


def test_a_plan_set_back_to_draft_leaves_every_inbox(world, client_of):
    build_stage(world, "draft")
    assert _inbox(client_of("fgw-r")) == [("fill", "part", "fgw")]
    world.plan.status = "draft"
    world.plan.save(update_fields=["status"])
    for persona in ("fgw-r", "kjj-r", "sam"):
        assert _inbox(client_of(persona)) == [], persona
        assert client_of(persona).get("/api/inbox/counts/").json()["total"] == 0, persona
