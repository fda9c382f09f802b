"""Small builders for register objects in tests. They write through the ORM directly on purpose:
tests of services must not depend on the services they test to build their fixtures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask, TaskUnit
from units.models import Unit

_seq = count(1)


def make_plan(code: str | None = None, **fields) -> Plan:
    defaults = {
        "title": "测试方案",
        "start_date": date(2023, 1, 1),
        "end_date": date(2027, 12, 31),
        "status": Plan.Status.ACTIVE,
    }
    defaults.update(fields)
    return Plan.objects.create(code=code or f"plan-{next(_seq)}", **defaults)


def make_task(
    plan: Plan,
    code: str,
    *,
    lead: str | None = "市经济信息委",
    responsible: tuple[str, ...] = (),
    parent: PlanTask | None = None,
    **fields,
) -> PlanTask:
    defaults = {"title": f"任务 {code}", "text": f"任务 {code} 的内容", "due_date": date(2027, 12, 31)}
    defaults.update(fields)
    task = PlanTask.objects.create(
        plan=plan,
        code=code,
        parent=parent,
        lead_unit=Unit.objects.get(short_name=lead) if lead else None,
        **defaults,
    )
    for order, short_name in enumerate(responsible):
        TaskUnit.objects.create(task=task, unit=Unit.objects.get(short_name=short_name), order=order)
    return task


def make_milestone(task: PlanTask, code: str, due: date, weight: str = "25", **fields) -> Milestone:
    defaults = {"title": f"节点 {code}"}
    defaults.update(fields)
    return Milestone.objects.create(task=task, code=code, due_date=due, weight=Decimal(weight), **defaults)


def make_indicator(task: PlanTask, code: str, *, interim: dict[int, str] | None = None, **fields) -> Indicator:
    defaults = {
        "name": f"指标 {code}",
        "unit_of_measure": "%",
        "baseline_year": 2022,
        "baseline_value": Decimal("10"),
        "target_year": 2027,
        "target_value": Decimal("20"),
    }
    defaults.update(fields)
    indicator = Indicator.objects.create(plan=task.plan, task=task, code=code, **defaults)
    for year, value in (interim or {}).items():
        IndicatorTarget.objects.create(indicator=indicator, year=year, value=Decimal(value))
    return indicator
