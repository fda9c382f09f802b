"""The report page and the round form refuse what is not plainly valid, naming the field, on SQLite and PostgreSQL
(issue 7, items 6 and 9): a number Python reads but nobody types, a NUL anywhere in the text, a narrative over its
limit (never cut), a claim dated 0001-01-01 or tomorrow, a period outside the plan. Nothing is saved."""

from __future__ import annotations

import pytest
import time_machine

from tasks.models import Report, ReportingRound
from tests.workflow.api.conftest import build_stage
from tests.workflow.web.conftest import fill_form
from workflow.inputs import NARRATIVE_MAX

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_october():
    with time_machine.travel("2025-10-08 10:00 +0800"):
        yield


@pytest.mark.parametrize(
    ("change", "label"),
    [
        ({"percent_complete": "NaN"}, "完成百分比"),
        ({"percent_complete": "sNaN"}, "完成百分比"),
        ({"percent_complete": "1e30"}, "完成百分比"),
        ({"percent_complete": "１２"}, "完成百分比"),
        ({"percent_complete": "99.999"}, "完成百分比"),
        ({"value": "NaN"}, "指标 I1"),
        ({"value": "sNaN"}, "指标 I1"),
        ({"value": "1e30"}, "指标 I1"),
        ({"value": "1" * 24}, "指标 I1"),
        ({"value": "1_000"}, "指标 I1"),
        ({"narrative": "进展\x00"}, "进展情况"),
        ({"narrative": "进" * (NARRATIVE_MAX + 1)}, "进展情况"),
        ({"evidence": "验收\x00报告"}, "节点 2025"),
        ({"note": "快报\x00"}, "指标 I1"),
        ({"claim": "0001-01-01"}, "节点 2025"),
        ({"claim": "2025-10-09"}, "节点 2025"),
    ],
)
@pytest.mark.parametrize("action", ["save", "submit"])
def test_the_fill_form_names_the_field_and_saves_nothing(world, page_client, change, label, action):
    stage = build_stage(world, "draft")
    change = dict(change)
    extra = {}
    if "percent_complete" in change:
        extra["percent_complete"] = change.pop("percent_complete")
    if "note" in change:
        extra[f"indicator-{world.indicator.pk}-note"] = change.pop("note")
    form = fill_form(world, stage.part, **change, **extra)
    response = page_client("fgw-r").post(f"/reports/{stage.part.pk}/{action}/", form)
    assert response.status_code == 400
    assert f"{label}：" in response.content.decode()
    part = Report.objects.get(pk=stage.part.pk)
    assert (part.status, part.version, part.narrative) == ("draft", stage.part.version, "")


@pytest.mark.parametrize(
    ("period", "due"), [("9999-Q4", "9999-12-31"), ("2022-Q4", "2023-01-10"), ("2025-Q3", "2027-01-01")]
)
def test_the_round_form_refuses_a_period_or_due_date_outside_the_plan(world, page_client, period, due):
    response = page_client("sam").post("/rounds/", {"plan": world.plan.pk, "period": period, "due_date": due})
    assert response.status_code == 400
    html = response.content.decode()
    assert "2023-01-01" in html or "一年" in html
    assert not ReportingRound.objects.exists()


def test_the_round_form_refuses_a_nul(world, page_client):
    response = page_client("sam").post(
        "/rounds/", {"plan": world.plan.pk, "period": "2025-Q3\x00", "due_date": "2025-10-10"}
    )
    assert response.status_code in (200, 400)
    assert not ReportingRound.objects.exists()
