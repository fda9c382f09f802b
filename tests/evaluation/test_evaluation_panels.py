"""The 赛马比拼 on the register's pages (through tasks' panel registry): a task's light today with its reasons and
its light in each published round; a unit's score history and its tasks' lights — in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evaluation import services
from evaluation.models import UnitResult
from tasks.services import task_create
from tests.factories import make_milestone
from tests.workflow.conftest import UNITS
from units.models import Unit

pytestmark = pytest.mark.django_db


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def publish_q3(world) -> int:
    day = date(2025, 10, 20)
    sam = world["sam"]
    evaluation = services.evaluation_start(actor=sam, plan_id=world.plan.pk, period="2025-Q3", today=day)
    services.evaluation_compute(evaluation_id=evaluation.pk)
    services.evaluation_open_appeals(actor=sam, evaluation_id=evaluation.pk, version=None, today=day)
    services.evaluation_submit(actor=sam, evaluation_id=evaluation.pk, version=None, today=date(2025, 11, 1))
    services.evaluation_approve(actor=world["leo"], evaluation_id=evaluation.pk, version=None)
    services.evaluation_publish(actor=sam, evaluation_id=evaluation.pk, version=None)
    return evaluation.pk


@time_machine.travel("2025-11-20 09:00 +0800")
def test_the_task_page_shows_todays_light_with_its_reasons_and_each_published_light(world, approved_quarter):
    late = make_milestone(world.task, "2025b", date(2025, 10, 31), title="产线投产")
    url = f"/plans/{world.plan.code}/tasks/{world.task.code}/"
    body = page(world["fgw-r"], url)
    assert 'id="task-light"' in body and "节点“产线投产”逾期 20 天" in body
    assert 'data-colour="red"' in body  # 20 days overdue > 15
    assert "历次晾晒" not in body
    late.delete()
    evaluation_id = publish_q3(world)
    body = page(world["fgw-r"], url)
    assert "历次晾晒" in body and f'href="/evaluations/{evaluation_id}/"' in body


@time_machine.travel("2025-11-20 09:00 +0800")
def test_the_unit_page_shows_its_score_history_and_its_tasks_lights_in_fixed_queries(world, approved_quarter):
    evaluation_id = publish_q3(world)
    fgw = UNITS["fgw"]
    code = world["fgw-r"].memberships.get().unit.code
    url = f"/units/{code}/"
    client = Client()
    client.force_login(world["leo"])
    client.get(url)  # the first visit of the day stores the plan's lights
    with CaptureQueriesContext(connection) as few:
        body = client.get(url).content.decode()
    result = UnitResult.objects.get(evaluation_id=evaluation_id, unit__short_name=fgw)
    assert 'id="unit-scores"' in body and f'href="/evaluations/{evaluation_id}/units/{result.unit_id}/"' in body
    assert f"<td data-label=\"得分\" class=\"num\">{result.score}</td>" in body
    assert body.count('class="unit-task-lights"') == 1 and f"{world.task.code} " in body
    for n in range(6):  # through the service, as the admin and the API add tasks: today's lights follow
        task_create(actor=world["sam"], plan=world.plan, code=f"1.{n + 2}", title=f"任务 {n}",
                    parent=world.task.parent, lead_unit=world.task.lead_unit,
                    responsible_units=[Unit.objects.get(short_name=fgw)])  # fmt: skip
    body = client.get(url).content.decode()  # applies the pending changes (no worker in this test)
    assert body.count("<li data-colour=") == 7 and body.count('<li data-colour="grey">') == 6
    colours = set(re.findall(r'<li data-colour="(\w+)">', body))
    rolled = next(c for c in ("red", "orange", "yellow", "green", "blue", "grey") if c in colours)
    assert f'id="unit-light" data-colour="{rolled}"' in body  # the unit's tasks rolled up: the worst
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)


@time_machine.travel("2025-11-20 09:00 +0800")
def test_the_home_page_leads_with_the_latest_published_headline(world, approved_quarter):
    body = page(world["leo"], "/")
    assert 'id="headline"' not in body  # nothing published yet
    evaluation_id = publish_q3(world)
    body = page(world["leo"], "/")
    assert 'id="headline"' in body and f'href="/evaluations/{evaluation_id}/"' in body
    counts = UnitResult.objects.filter(evaluation_id=evaluation_id)
    assert sum(int(n) for n in re.findall(r'data-headline-count="\w+">(\d+)<', body)) == counts.count()
    assert body.index('id="headline"') < body.index('id="plans"')
