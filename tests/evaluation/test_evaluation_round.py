"""The evaluation round through the API, on facts made by the real reporting services: start (202, computed by the
job on commit), the draft's ranking and breakdown, who sees what before publication, and the start's refusals."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from evaluation.models import Evaluation, TaskResult
from tasks.models import Report
from tests.workflow.conftest import fill_and_sign
from workflow import services

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def approved_quarter(world):
    """2025-Q3 of the world's task, approved: fgw claims the milestone (with evidence) and reports the indicator."""
    with time_machine.travel("2025-10-08 10:00 +0800"):
        round_ = world.open_round()
        fill_and_sign(world, round_, "fgw", percent_complete="100",
                      indicator_values=[{"indicator": world.indicator.pk, "value": "14.5"}],
                      milestone_claims=[{"milestone": world.milestone.pk, "completed_date": "2025-09-28",
                                         "evidence": "验收报告"}])  # fmt: skip
        fill_and_sign(world, round_, "kjj", percent_complete="60")
        task_report = world.task_report(round_)
        services.report_submit(actor=world["jxw-r"], report_id=task_report.pk)
        services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
        services.report_approve(actor=world["sam"], report_id=task_report.pk)
    assert set(Report.objects.filter(round=round_).values_list("status", flat=True)) == {"approved"}
    return round_


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
    assert any("督办回复按时率暂按 1.0 计" in reason for reason in detail["reasons"])

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
