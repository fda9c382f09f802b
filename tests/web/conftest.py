"""Fixtures of the web page tests: a small register and signed-in clients per persona.

Today is frozen at 2025-06-01 (Asia/Shanghai) for every test here.

plan "web" (active, units illustrative), issued by 重庆市人民政府办公厅 on 2023-09-01
  1        发展目标            part; indicator; major; lead 市经济信息委
  1.1      规模能级            indicator; major; lead 市经济信息委, resp. 市发展改革委; illustrative units
           indicator I01 (万亿元) 2022: 2.8 (illustrative) → 2024: 3.28, 2025: 3.52 (illustrative) → 2027: 4
           milestones m-overdue (2025-03-31, pending), m-moved (2025-09-30, originally 2025-06-30, owner 市科技局),
                      m-done (2024-12-31, done)
  2        重点任务            part; qualitative; lead 市发展改革委
  2.1      轻合金材料          deliverable; in progress; lead 市经济信息委, resp. 市科技局 (not illustrative)
  2.1.1    铝合金精深加工      qualitative; lead 市科技局, resp. 渝北区; due text 持续推进, no due date
  2.2      绿色工厂            deliverable; done; lead 市发展改革委; illustrative units
plan "draft" (draft): task 1 草稿任务 — supervisors only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from time_machine import TimeMachineFixture

from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from tests.support import CHROMIUM, CHROMIUM_ARGS, require_chromium
from units.models import Unit

TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _frozen_today(request: pytest.FixtureRequest, time_machine: TimeMachineFixture) -> None:
    # A real browser drops cookies that expire before its own clock: browser tests run in real time.
    if request.node.get_closest_marker("browser") is None:
        time_machine.move_to(datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@dataclass
class Register:
    plan: Plan
    part_1: PlanTask
    task_1_1: PlanTask
    part_2: PlanTask
    task_2_1: PlanTask
    task_2_1_1: PlanTask
    task_2_2: PlanTask
    indicator: Indicator
    overdue: Milestone
    moved: Milestone
    done: Milestone
    draft: Plan
    draft_task: PlanTask


@pytest.fixture
def register(db: None) -> Register:
    return build_register()


def build_register() -> Register:
    """The register described at the top of this module (the units must be loaded)."""
    plan = make_plan(
        "web", title="制造业高质量发展行动方案", issuer="重庆市人民政府办公厅", issued_date=date(2023, 9, 1),
        units_illustrative=True,
    )
    part_1 = make_task(
        plan, "1", title="发展目标", kind=PlanTask.Kind.INDICATOR, importance=PlanTask.Importance.MAJOR,
    )
    task_1_1 = make_task(
        plan, "1.1", parent=part_1, title="规模能级", text="规模以上工业企业营业收入迈上4万亿元台阶",
        responsible=("市发展改革委",), kind=PlanTask.Kind.INDICATOR, importance=PlanTask.Importance.MAJOR,
        units_illustrative=True,
    )
    part_2 = make_task(plan, "2", lead="市发展改革委", title="重点任务")
    task_2_1 = make_task(
        plan, "2.1", parent=part_2, title="轻合金材料", text="做强轻合金材料产业", responsible=("市科技局",),
        kind=PlanTask.Kind.DELIVERABLE, status=PlanTask.Status.IN_PROGRESS, due_date=date(2026, 12, 31),
    )
    task_2_1_1 = make_task(
        plan, "2.1.1", parent=task_2_1, lead="市科技局", responsible=("渝北区",), title="铝合金精深加工",
        due_date=None, due_text="持续推进",
    )
    task_2_2 = make_task(
        plan, "2.2", parent=part_2, lead="市发展改革委", title="绿色工厂", kind=PlanTask.Kind.DELIVERABLE,
        status=PlanTask.Status.DONE, completed_date=date(2025, 3, 1), units_illustrative=True,
    )
    indicator = make_indicator(
        task_1_1, "I01", name="规模以上工业企业营业收入", unit_of_measure="万亿元", baseline_year=2022,
        baseline_value="2.8", baseline_illustrative=True, target_value="4", target_text="迈上4万亿元台阶",
        interim={2024: "3.28", 2025: "3.52"},
    )
    IndicatorTarget.objects.filter(indicator=indicator, year=2025).update(illustrative=True)
    overdue = make_milestone(task_1_1, "m-overdue", date(2025, 3, 31), title="一季度序时目标")
    moved = make_milestone(
        task_1_1, "m-moved", date(2025, 9, 30), title="三季度序时目标", original_due_date=date(2025, 6, 30),
        owner_unit=Unit.objects.get(short_name="市科技局"),
    )
    done = make_milestone(
        task_1_1, "m-done", date(2024, 12, 31), title="2024年序时目标", status=Milestone.Status.DONE,
        completed_date=date(2024, 12, 20),
    )
    draft = make_plan("draft", title="草稿方案", status=Plan.Status.DRAFT)
    draft_task = make_task(draft, "1", title="草稿任务")
    return Register(
        plan=plan, part_1=part_1, task_1_1=task_1_1, part_2=part_2, task_2_1=task_2_1, task_2_1_1=task_2_1_1,
        task_2_2=task_2_2, indicator=indicator, overdue=overdue, moved=moved, done=done, draft=draft,
        draft_task=draft_task,
    )


@pytest.fixture
def client_for() -> Callable[..., Client]:
    """A signed-in test client for a persona, in Chinese (the default) or, through the real
    language switch (POST /i18n/setlang/), in English."""

    def make(user: User, language: str = "zh-hans") -> Client:
        client = Client()
        client.force_login(user)
        if language != "zh-hans":
            response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
            assert response.status_code == 302
            assert client.cookies["django_language"].value == language
        return client

    return make


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless chromium; skips (or, on CI, fails) when Debian's chromium is not installed."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
