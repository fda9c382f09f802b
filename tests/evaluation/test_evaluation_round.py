"""The evaluation round through the API, on facts made by the real reporting services: start (202, computed by the
job on commit), the draft's ranking and breakdown, who sees what before publication, and the start's refusals."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from evaluation.models import Evaluation, TaskResult
from tasks.models import AuditEvent

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@time_machine.travel("2025-10-20 09:00 +0800")
def test_a_supervisor_starts_the_round_and_the_draft_ranks_every_unit(world, approved_quarter,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world["sam"]).post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-q3"},
                                          format="json")  # fmt: skip
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["period"], body["version"], body["as_of"], body["rule_set"]["code"]) == (
        "2025-Q3",
        1,
        "2025-10-10",
        "default",
    )
    evaluation = Evaluation.objects.get(pk=body["id"])
    assert evaluation.status == "adjusting" and evaluation.units_total == 3
    assert TaskResult.objects.get(evaluation=evaluation, task=world.task).colour == "green"  # milestone done, on time

    ranking = api(world["leo"]).get(f"/api/evaluations/{evaluation.pk}/ranking/").json()
    assert {row["unit"]["name"] for row in ranking} == {"市经济信息委", "市发展改革委", "市科技局"}
    assert all(row["rank"] for row in ranking)
    lead = next(row for row in ranking if row["unit"]["name"] == "市经济信息委")
    assert lead["components"]["F1"] is not None  # the lead unit answers for the task's indicator
    breakdown = api(world["sam"]).get(
        f"/api/evaluations/{evaluation.pk}/units/{world['jxw-r'].memberships.get().unit_id}/"
    )
    assert breakdown.status_code == 200
    detail = breakdown.json()
    assert detail["breakdown"]["counts"]["reports_due"] >= 1
    # notifications keeps the 督办单: no reply fell due, so that rate has nothing to count (no placeholder 1.0)
    assert not any("督办回复按时率" in reason for reason in detail["reasons"])

    # before publication: no ranking and no draft for the units, 404 for the evaluation itself
    assert api(world["jxw-r"]).get(f"/api/evaluations/{evaluation.pk}/ranking/").status_code == 404
    assert api(world["jxw-r"]).get("/api/evaluations/").json()["count"] == 0

    # a second start of the same period while this one is unpublished: 409
    again = api(world["sam"]).post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q3"}, format="json")
    assert again.status_code == 409


@time_machine.travel("2025-10-05 09:00 +0800")
def test_a_period_still_reporting_or_a_bad_one_is_a_field_error_and_units_cannot_start(world):
    sam = api(world["sam"])
    with time_machine.travel("2025-09-20 09:00 +0800"):
        world.open_round()  # due 2025-10-10
    for period in ("2025-Q3", "2025-Q5", "9999-Q4"):
        response = sam.post("/api/evaluations/", {"plan": world.plan.pk, "period": period}, format="json")
        assert response.status_code == 400, period
        assert list(response.json()["errors"]) == ["period"]
    assert api(world["jxw-h"]).post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q2"},
                                    format="json").status_code == 403  # fmt: skip
    assert sam.post("/api/evaluations/", {"plan": 10**6, "period": "2025-Q2"}, format="json").status_code == 404


@pytest.fixture
def second_supervisor(db):
    from tests.conftest import make_user

    return make_user("sue", ("市政府办公厅", "supervisor"))


def test_the_whole_round_adjust_rate_appeal_return_approve_publish(world, approved_quarter, second_supervisor,
                                                                    django_capture_on_commit_callbacks):  # fmt: skip
    sam, sue, leo = api(world["sam"]), api(second_supervisor), api(world["leo"])
    alice, bob = api(world["jxw-r"]), api(world["fgw-r"])
    jxw = world["jxw-r"].memberships.get().unit_id
    fgw = world["fgw-r"].memberships.get().unit_id
    with time_machine.travel("2025-10-20 09:00 +0800"):
        with django_capture_on_commit_callbacks(execute=True):
            evaluation = sam.post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q3"},
                                  format="json").json()  # fmt: skip
        url = f"/api/evaluations/{evaluation['id']}"
        assert (evaluation["step"], sam.get(f"{url}/").json()["step"]) == ("compute", "adjust")  # the job ran on commit
        before = sam.get(f"{url}/units/{jxw}/").json()
        bonus = {"unit": jxw, "code": "model_case", "evidence": "市政府办公厅通报", "reason": "经验全市推广"}
        assert sam.post(f"{url}/adjustments/", bonus, format="json").status_code == 201
        after = sam.get(f"{url}/units/{jxw}/").json()
        assert float(after["score"]) == pytest.approx(float(before["score"]) + 2)
        assert after["breakdown"]["items"][0]["label"] == "经验做法全市推广"
        bad = sam.post(f"{url}/adjustments/", {"unit": jxw, "code": "nope", "evidence": "", "reason": "x"},
                       format="json")  # fmt: skip
        assert set(bad.json()["errors"]) == {"code", "evidence"}
        sam.post(f"{url}/rubric/", {"unit": jxw, "scores": [5, 5, 4], "comment": "推进有力"}, format="json")
        assert sam.get(f"{url}/units/{jxw}/").json()["components"]["F4"] is None  # one rater is not enough
        sue.post(f"{url}/rubric/", {"unit": jxw, "scores": [4, 4, 4], "comment": "较好"}, format="json")
        assert sam.get(f"{url}/units/{jxw}/").json()["components"]["F4"] is not None
        # 2025-10-20 is a Monday: 5 working days → Monday 27th
        opened = sam.post(f"{url}/open-appeals/", {"version": evaluation["step_version"]}, format="json").json()
        assert (opened["status"], opened["appeal_deadline"]) == ("appeals", "2025-10-27")
        # the units see their own breakdown now, not the ranking, not another unit's
        assert alice.get(f"{url}/units/{jxw}/").status_code == 200
        assert alice.get(f"{url}/units/{fgw}/").status_code == 404
        assert alice.get(f"{url}/ranking/").status_code == 403
        assert "appeal" in alice.get(f"{url}/").json()["actions"]
        upheld = alice.post(f"{url}/appeals/", {"unit": jxw, "category": "data", "reason": "指标数据已更正"},
                            format="json").json()  # fmt: skip
        rejected = bob.post(f"{url}/appeals/", {"unit": fgw, "category": "rule", "reason": "不应计入"},
                            format="json").json()  # fmt: skip
        assert bob.post(f"{url}/appeals/", {"unit": jxw, "category": "rule", "reason": "替别人申诉"},
                        format="json").status_code == 403  # fmt: skip
        assert [a["unit"] for a in alice.get(f"{url}/appeals/").json()] == [jxw]
        assert sam.post(f"{url}/submit/", {}, format="json").status_code == 409  # window still open
    with time_machine.travel("2025-10-28 09:00 +0800"):
        assert alice.post(f"{url}/appeals/", {"unit": jxw, "category": "other", "reason": "迟了"},
                          format="json").status_code == 409  # fmt: skip
        assert sam.post(f"{url}/submit/", {}, format="json").status_code == 409  # appeals unanswered
        assert sam.post(f"/api/appeals/{upheld['id']}/resolve/", {"upheld": True, "reply": "已更正并重算"},
                        format="json").json()["upheld"] is True  # fmt: skip
        assert sam.post(f"/api/appeals/{rejected['id']}/resolve/", {"upheld": False, "reply": "符合规则，维持"},
                        format="json").status_code == 200  # fmt: skip
        assert sam.post(f"/api/appeals/{rejected['id']}/resolve/", {"upheld": True, "reply": "再改"},
                        format="json").status_code == 409  # fmt: skip
        submitted = sam.post(f"{url}/submit/", {}, format="json").json()
        assert (submitted["status"], submitted["step"], submitted["actions"]) == ("approval", "approval", [])
        assert leo.post(f"{url}/return/", {"reason": ""}, format="json").json()["errors"] == {"reason": ["必填。"]}
        returned = leo.post(f"{url}/return/", {"reason": "请核实加分依据"}, format="json").json()
        assert (returned["status"], returned["step"]) == ("adjusting", "adjust")
        assert returned["return_reason"] == "请核实加分依据"
        sam.post(f"{url}/open-appeals/", {}, format="json")
    with time_machine.travel("2025-11-10 09:00 +0800"):
        sam.post(f"{url}/submit/", {}, format="json")
        stale = leo.post(f"{url}/approve/", {"version": 1}, format="json")
        assert stale.status_code == 409
        approved = leo.post(f"{url}/approve/", {}, format="json").json()
        assert approved["status"] == "approved" and approved["actions"] == []
        first = sam.post(f"{url}/publish/", {"version": approved["step_version"]}, format="json")
        second = sue.post(f"{url}/publish/", {"version": approved["step_version"]}, format="json")
        assert (first.status_code, second.status_code) == (200, 409)
        published = first.json()
        assert published["status"] == "published" and published["published_at"] and published["step"] is None
        ranking = alice.get(f"{url}/ranking/").json()
        assert len(ranking) == 3
        # a later rule change alters nothing published
        from evaluation.models import RuleSet

        RuleSet.objects.filter(pk=published["rule_set"]["id"]).update(spec={"weights": {"f1": "0.1", "f2": "0.6"}})
        assert alice.get(f"{url}/ranking/").json() == ranking
        assert sam.post(f"{url}/adjustments/", {"unit": jxw, "code": "model_case", "evidence": "x", "reason": "y"},
                        format="json").status_code == 409  # fmt: skip
        # republishing the period makes a new version; the old one stays readable
        with django_capture_on_commit_callbacks(execute=True):
            again = sam.post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q3"}, format="json").json()
        assert again["version"] == 2
        assert alice.get(f"{url}/ranking/").status_code == 200
        # the versions link to each other (a unit does not see the unpublished new one)
        assert (again["previous_version"], sam.get(f"{url}/").json()["next_version"]) == (published["id"], again["id"])
        assert alice.get(f"{url}/").json()["next_version"] is None
        # the round went through the flow, step by step, each human step completed by who acted
        process = Evaluation.objects.get(pk=published["id"]).process
        route = [(task.flow_task.name, task.status, task.owner.username if task.owner else None)
                 for task in process.task_set.order_by("pk")]  # fmt: skip
        done = [(step, "DONE", by) for step, by in (
            ("start", None), ("compute", None), ("adjust", "sam"), ("appeals", "sam"), ("approval", "leo"),
            ("decide", None), ("adjust", "sam"), ("appeals", "sam"), ("approval", "leo"), ("decide", None),
            ("publish", "sam"), ("end", None))]  # fmt: skip
        assert route == done and process.status == "DONE"
        actions = list(AuditEvent.objects.filter(action__startswith="evaluation.").values_list("action", flat=True))
        assert actions.count("evaluation.publish") == 1 and "evaluation.return" in actions


@time_machine.travel("2025-10-20 09:00 +0800")
def test_the_ranking_downloads_as_a_workbook_with_one_sheet_per_track_and_colours_as_fills(
    world, approved_quarter, django_capture_on_commit_callbacks
):
    from io import BytesIO

    from openpyxl import load_workbook

    from evaluation.models import UnitResult
    from units.models import Unit

    with django_capture_on_commit_callbacks(execute=True):
        evaluation = api(world["sam"]).post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q3"},
                                            format="json").json()  # fmt: skip
    # a unit whose name reads as a formula stays text
    Unit.objects.filter(short_name="市科技局").update(short_name='=HYPERLINK("http://x")')
    response = api(world["leo"]).get(f"/api/evaluations/{evaluation['id']}/ranking.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="ranking-wf-2025-Q3-v1.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    rows = UnitResult.objects.filter(evaluation_id=evaluation["id"]).select_related("track", "unit")
    assert sorted(workbook.sheetnames) == sorted({row.track.name for row in rows})
    sheet = workbook[rows[0].track.name]
    assert "2025-Q3 赛马比拼" in sheet["A1"].value and "数据截至 2025-10-10；评价规则 default v1" in sheet["A2"].value
    assert [cell.value for cell in sheet[3]][:5] == ["排名", "单位", "代码", "得分", "颜色"]
    cells = {row[1].value: row for row in sheet.iter_rows(min_row=4)}
    total = sum(len(list(workbook[name].iter_rows(min_row=4))) for name in workbook.sheetnames)
    assert total == rows.count() == 3
    for row in rows:
        if row.track.name != sheet.title:
            continue
        line = cells[row.unit.short_name]
        assert (line[0].value, line[3].value) == (row.rank, float(row.score))
        assert line[4].fill.fgColor.rgb.endswith(
            {
                "blue": "1F6FEB",
                "green": "2DA44E",
                "yellow": "D4A72C",
                "orange": "E16F24",
                "red": "CF222E",
                "grey": "8C959F",
            }[row.colour]
        )
    formula = [cell for name in workbook.sheetnames for line in workbook[name].iter_rows(min_row=4) for cell in line
               if isinstance(cell.value, str) and "HYPERLINK" in cell.value]  # fmt: skip
    assert formula and all(cell.data_type == "s" for cell in formula)
    assert api(world["jxw-r"]).get(f"/api/evaluations/{evaluation['id']}/ranking.xlsx").status_code == 404


@time_machine.travel("2025-10-20 09:00 +0800")
def test_the_list_reads_steps_and_linked_versions_in_a_constant_number_of_queries(
    world, approved_quarter, django_capture_on_commit_callbacks, django_assert_num_queries
):
    sam = api(world["sam"])
    with django_capture_on_commit_callbacks(execute=True):
        first = sam.post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q3"}, format="json").json()
    with django_assert_num_queries(2):  # the count, the page (steps and versions annotated)
        assert [row["step"] for row in sam.get("/api/evaluations/").json()["results"]] == ["adjust"]
    # two older published versions of the period (as republishing leaves them), each with its own process
    Evaluation.objects.filter(pk=first["id"]).update(version=3)
    template = Evaluation.objects.get(pk=first["id"])
    for version in (1, 2):
        Evaluation.objects.create(plan=template.plan, period=template.period, period_start=template.period_start,
                                  period_end=template.period_end, as_of=template.as_of, rule_set=template.rule_set,
                                  version=version, status=Evaluation.Status.PUBLISHED)  # fmt: skip
    with django_assert_num_queries(2):
        rows = sam.get("/api/evaluations/").json()["results"]
    assert [(row["version"], row["step"], row["previous_version"] is not None, row["next_version"] is not None)
            for row in rows] == [(3, "adjust", True, False), (2, None, True, True), (1, None, False, True)]  # fmt: skip
