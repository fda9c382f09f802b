"""Fixtures of the API tests: signed-in clients per persona and a small register.

The register (built with tests/factories.py, straight through the ORM):

plan "cq" (active)
  1      制造业高质量发展          lead 市经济信息委            (parent of 1.1, 1.2)
  1.1    工业营收增长              lead 市经济信息委, resp. 市发展改革委; indicator, major, due 2025-12-31
         milestones m1 (2024-03-31, pending), m2 (2025-06-30, pending, owner 市科技局)
         indicator I1 with interim targets 2024: 12, 2025: 14
  1.2    创新平台建设              lead 市科技局, resp. 市经济信息委; deliverable, in progress, due 2026-06-30
         milestone m3 (2024-06-30, done)
  2      数字化车间                lead 市发展改革委; qualitative, due 2027-12-31
plan "draft" (draft): task 1 with milestone d1 and indicator D1 — visible to supervisors only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tasks.models import Indicator, Milestone, Plan, PlanTask
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Unit


@dataclass
class Register:
    plan: Plan
    task_1: PlanTask
    task_1_1: PlanTask
    task_1_2: PlanTask
    task_2: PlanTask
    m1: Milestone
    m2: Milestone
    m3: Milestone
    indicator: Indicator
    draft: Plan
    draft_task: PlanTask
    draft_milestone: Milestone
    draft_indicator: Indicator


@pytest.fixture
def register(db) -> Register:
    plan = make_plan("cq", title="制造业行动方案")
    task_1 = make_task(plan, "1", title="制造业高质量发展", due_date=None)
    task_1_1 = make_task(
        plan, "1.1", parent=task_1, title="工业营收增长", text="规上工业营业收入达到4万亿元",
        responsible=("市发展改革委",),
        kind=PlanTask.Kind.INDICATOR, importance=PlanTask.Importance.MAJOR, due_date=date(2025, 12, 31),
    )
    task_1_2 = make_task(
        plan, "1.2", parent=task_1, lead="市科技局", responsible=("市经济信息委",), title="创新平台建设",
        kind=PlanTask.Kind.DELIVERABLE, status=PlanTask.Status.IN_PROGRESS, due_date=date(2026, 6, 30),
    )
    task_2 = make_task(plan, "2", lead="市发展改革委", title="数字化车间", text="建成500个数字化车间")
    m1 = make_milestone(task_1_1, "m1", date(2024, 3, 31))
    m2 = make_milestone(task_1_1, "m2", date(2025, 6, 30), owner_unit=Unit.objects.get(short_name="市科技局"))
    m3 = make_milestone(
        task_1_2, "m3", date(2024, 6, 30), status=Milestone.Status.DONE, completed_date=date(2024, 6, 1)
    )
    indicator = make_indicator(task_1_1, "I1", interim={2024: "12", 2025: "14"})
    draft = make_plan("draft", title="草稿方案", status=Plan.Status.DRAFT)
    draft_task = make_task(draft, "1", title="草稿任务")
    draft_milestone = make_milestone(draft_task, "d1", date(2024, 1, 31))
    draft_indicator = make_indicator(draft_task, "D1")
    return Register(
        plan=plan, task_1=task_1, task_1_1=task_1_1, task_1_2=task_1_2, task_2=task_2, m1=m1, m2=m2, m3=m3,
        indicator=indicator, draft=draft, draft_task=draft_task, draft_milestone=draft_milestone,
        draft_indicator=draft_indicator,
    )


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """A session-authenticated API client for a persona (CSRF is not enforced by the test client)."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()
