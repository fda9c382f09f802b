"""Task lights from the database: facts from approved work only, the API with its as_of, the supervisor's override
(one level, a reason, audited, shown beside the computed light), scoping, and a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from evaluation.models import LightOverride
from evaluation.selectors import task_lights
from tasks.lifecycle import Kind, Status
from tasks.models import AuditEvent, IndicatorValue, Milestone, Report, ReportingRound
from tests.conftest import make_persona
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db
TODAY = date(2025, 7, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2025, 7, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def client_for(name: str, **extra) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_persona(name, **extra))
    return client


def make_round(plan, period: str, start: date, end: date, due: date) -> ReportingRound:
    return ReportingRound.objects.create(plan=plan, period=period, period_start=start, period_end=end, due_date=due,
                                         status=ReportingRound.Status.OPEN)  # fmt: skip


def task_report(round_, task, *, submitted: date | None = None, approved: date | None = None) -> Report:
    unit = task.lead_unit

    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)

    return Report.objects.create(
        round=round_, task=task, unit=unit, kind=Kind.TASK, due_date=round_.due_date,
        status=Status.APPROVED if approved else (Status.IN_REVIEW if submitted else Status.WAITING),
        submitted_at=at(submitted) if submitted else None, approved_at=at(approved) if approved else None,
    )  # fmt: skip


@pytest.fixture
def plan_with_tasks():
    plan = make_plan("cq")
    late = make_task(plan, "1.1", title="轻合金材料")
    make_milestone(late, "a", TODAY - timedelta(days=12), weight="30", title="完成项目备案")
    make_milestone(late, "b", date(2025, 5, 21), weight="30", title="主体开工", status=Milestone.Status.DONE,
                   completed_date=date(2025, 5, 18))  # fmt: skip
    make_milestone(late, "c", date(2025, 12, 31), weight="40", title="竣工投产")
    fresh = make_task(plan, "1.2", title="尚未到期")
    make_milestone(fresh, "a", date(2026, 6, 30))
    done = make_task(plan, "1.3", title="已办结", status="done", completed_date=date(2025, 6, 1))
    indicator_task = make_task(plan, "2.1", title="营收")
    indicator = make_indicator(indicator_task, "I1", baseline_value=Decimal(100), target_value=Decimal(200),
                               interim={2024: "160"})  # fmt: skip
    q1 = make_round(plan, "2025-Q1", date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 10))
    q2 = make_round(plan, "2025-Q2", date(2025, 4, 1), date(2025, 6, 30), date(2025, 7, 10))
    task_report(q1, late)  # never submitted: missed
    task_report(q2, late, submitted=date(2025, 7, 12))  # late, not missed
    report = task_report(q1, indicator_task, submitted=date(2025, 4, 8), approved=date(2025, 4, 15))
    IndicatorValue.objects.create(indicator=indicator, round=q1, value=Decimal(150), report=report,
                                  approved_at=report.approved_at)  # fmt: skip
    task_report(q2, indicator_task, submitted=date(2025, 7, 9))
    return plan, late, fresh, done, indicator_task


def test_the_light_api_explains_the_colour(plan_with_tasks):
    _plan, late, *_ = plan_with_tasks
    body = client_for("alice").get(f"/api/tasks/{late.pk}/light/").json()
    assert body["as_of"] == "2025-07-20"
    assert (body["colour"], body["expected"], body["actual"], body["gap"]) == ("orange", "60.0", "30.0", "30.0")
    assert (body["overdue_days"], body["missed_rounds"]) == (12, 1)
    assert body["tests"] == {"gap": "orange", "overdue_days": "orange", "missed_rounds": "orange"}
    assert body["reasons"] == ["节点“完成项目备案”逾期 12 天", "序时进度差 30.0 个百分点（应完成 60.0%，已完成 30.0%）",
                               "2025-Q1 未报送"]  # fmt: skip
    assert body["override"] is None
    assert body["rule_set"]["code"] == "default"


def test_grey_blue_and_an_indicator_on_its_interpolated_path(plan_with_tasks):
    plan, late, fresh, done, indicator_task = plan_with_tasks
    user = make_persona("leo")
    lights = task_lights(user=user, task_ids=[late.pk, fresh.pk, done.pk, indicator_task.pk], plan_id=plan.pk,
                         as_of=TODAY)  # fmt: skip
    assert lights[fresh.pk].light.colour == "grey"
    assert lights[done.pk].light.colour == "blue"
    indicator = lights[indicator_task.pk].light
    # expected on 2025-07-20, between 160 (end 2024) and 200 (end 2027): 160 + 40 × 201 / 1095 ≈ 167.3, i.e. 67.3 % of
    # the way from 100 to 200; actual 150 → 50 %: a gap of 17.3 points, orange
    assert (indicator.expected, indicator.actual, indicator.colour) == (Decimal("67.3"), Decimal("50.0"), "orange")
    assert indicator.missed_rounds == 0


def test_as_of_goes_back_in_time_and_bad_values_are_field_errors(plan_with_tasks):
    _plan, late, *_ = plan_with_tasks
    client = client_for("bob")
    before = client.get(f"/api/tasks/{late.pk}/light/", {"as_of": "2025-04-30"}).json()
    # on 2025-04-30: no milestone due yet except none; Q1 was due 04-10 and not submitted: missed
    assert (before["expected"], before["missed_rounds"], before["colour"]) == ("0.0", 1, "orange")
    for bad in ("2025-13-01", "yesterday", "2025-07-21", "1899-01-01"):
        response = client.get(f"/api/tasks/{late.pk}/light/", {"as_of": bad})
        assert response.status_code == 400, bad
        assert list(response.json()["errors"]) == ["as_of"]


def test_a_supervisor_overrides_one_level_with_a_reason_shown_beside_the_computed_light(plan_with_tasks):
    _plan, late, *_ = plan_with_tasks
    sam = client_for("sam")
    url = f"/api/tasks/{late.pk}/light-override/"
    assert sam.post(url, {"colour": "green", "reason": "理由"}, format="json").json()["errors"] == {
        "colour": ["只能在计算灯色（orange）的基础上调整一级，且蓝、灰不调整。"]
    }
    assert list(sam.post(url, {"colour": "yellow", "reason": "  "}, format="json").json()["errors"]) == ["reason"]
    assert list(sam.post(url, {"colour": "purple", "reason": "x"}, format="json").json()["errors"]) == ["colour"]
    response = sam.post(url, {"colour": "yellow", "reason": "备案材料已报市发展改革委，待批复"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["colour"] == "orange"  # the computed light stays
    assert body["override"]["colour"] == "yellow" and body["override"]["by"] == "sam"
    event = AuditEvent.objects.get(action="light.override")
    assert (event.task_id, event.before, event.after) == (late.pk, {"colour": "orange"}, {"colour": "yellow"})
    assert event.comment == "备案材料已报市发展改革委，待批复"
    assert client_for("alice").get(f"/api/tasks/{late.pk}/light/").json()["override"]["colour"] == "yellow"


def test_an_override_lapses_when_the_computed_light_changes(plan_with_tasks):
    _plan, late, *_ = plan_with_tasks
    LightOverride.objects.create(task=late, computed="red", colour="orange", reason="旧", by=make_persona("sam"))
    assert client_for("alice").get(f"/api/tasks/{late.pk}/light/").json()["override"] is None


@pytest.mark.parametrize(("persona", "status"), [("alice", 403), ("carol", 403), ("leo", 403), ("sam", 201)])
def test_only_supervisors_override(plan_with_tasks, persona, status):
    _plan, late, *_ = plan_with_tasks
    response = client_for(persona).post(f"/api/tasks/{late.pk}/light-override/", {"colour": "yellow", "reason": "x"},
                                        format="json")  # fmt: skip
    assert response.status_code == status
    assert LightOverride.objects.count() == (1 if status == 201 else 0)


def test_a_draft_plans_task_is_out_of_sight_but_for_supervisors(plan_with_tasks):
    draft = make_plan("draft", status="draft")
    task = make_task(draft, "1", title="草稿任务")
    alice = client_for("alice")
    assert alice.get(f"/api/tasks/{task.pk}/light/").status_code == 404
    assert alice.get("/api/tasks/999999/light/").status_code == 404
    assert client_for("sam").get(f"/api/tasks/{task.pk}/light/").status_code == 200
    assert APIClient().get(f"/api/tasks/{task.pk}/light/").status_code == 401


def test_lights_of_a_whole_plan_in_a_fixed_number_of_queries(plan_with_tasks):
    plan, *_ = plan_with_tasks
    user = make_persona("leo")

    def count() -> int:
        ids = list(plan.tasks.values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as captured:
            lights = task_lights(user=user, task_ids=ids, plan_id=plan.pk, as_of=TODAY)
        assert len(lights) == len(ids)
        return len(captured)

    count()  # the user's scope is read once, then cached on the user
    few = count()
    unit = Unit.objects.get(short_name="市科技局")
    for n in range(20):
        task = make_task(plan, f"3.{n}", lead=unit.short_name)
        make_milestone(task, "a", TODAY - timedelta(days=n))
        make_indicator(task, f"X{n}", interim={2025: "12"})
    assert count() == few


def test_missed_rounds_count_among_the_last_rounds_due_only(plan_with_tasks):
    from dataclasses import replace

    from evaluation.models import RuleSet
    from evaluation.rules import RuleSpec
    from evaluation.rules.config import RuleSpecError

    plan, late, *_ = plan_with_tasks  # missed 2025-Q1 (due 04-10); 2025-Q2 submitted late
    user = make_persona("leo")
    assert task_lights(user=user, task_ids=[late.pk], plan_id=plan.pk, as_of=TODAY)[late.pk].light.missed_rounds == 1
    # a window of the last round only: Q1 is out of it
    rule_set = RuleSet.objects.get(code="default")
    spec = RuleSpec.from_data(rule_set.spec)
    rule_set.spec = replace(spec, lights=replace(spec.lights, missed_window=1)).to_data()
    rule_set.save()
    light = task_lights(user=user, task_ids=[late.pk], plan_id=plan.pk, as_of=TODAY)[late.pk].light
    assert light.missed_rounds == 0 and "2025-Q1 未报送" not in [reason.text for reason in light.reasons]
    with pytest.raises(RuleSpecError, match="missed_window"):
        RuleSpec.from_data({**rule_set.spec, "lights": {**rule_set.spec["lights"], "missed_window": 0}})


def test_a_parent_tasks_light_is_the_worst_of_the_tasks_below_it(plan_with_tasks):
    plan, *_ = plan_with_tasks
    parent = make_task(plan, "9", title="上级任务")
    child = make_task(plan, "9.1", title="下级", parent=parent)
    make_milestone(child, "a", TODAY - timedelta(days=30), title="逾期节点")
    make_task(plan, "9.2", title="尚未到期", parent=parent)
    body = client_for("alice").get(f"/api/tasks/{parent.pk}/light/").json()
    assert (body["colour"], body["overdue_days"]) == ("red", 30)
    assert body["reasons"][:2] == ["取下级任务中最差的灯色：9.1", "节点“逾期节点”逾期 30 天"]
