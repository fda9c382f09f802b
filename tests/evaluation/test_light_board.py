"""The task-light board (任务亮灯): every readable task's light today, worst first, with its reasons and a
supervisor's override; filtered by plan, part, unit and colour; the same as .xlsx; a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from evaluation.models import LightOverride
from tests.conftest import make_persona
from tests.factories import make_milestone, make_plan, make_task

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2025, 7, 20)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2025, 7, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def plan():
    plan = make_plan("cq")
    red = make_task(plan, "1", title="严重逾期", responsible=("市发展改革委",))
    make_milestone(red, "a", TODAY - timedelta(days=30), title="完成备案")
    yellow = make_task(plan, "2", title="小幅逾期", responsible=("市科技局",))
    make_milestone(yellow, "a", TODAY - timedelta(days=3), title="开工")
    make_milestone(yellow, "b", date(2026, 12, 31), weight="400")
    make_task(plan, "3", title="尚未到期")
    return plan


def page(user, url: str, **params):
    client = Client()
    client.force_login(user)
    return client.get(url, params)


def test_the_board_shows_every_light_worst_first_with_its_reasons(plan):
    body = page(make_persona("alice"), "/lights/").content.decode()
    order = [body.index(f'data-colour="{colour}"') for colour in ("red", "yellow", "grey")]
    assert order == sorted(order)
    assert "节点“完成备案”逾期 30 天" in body and "节点“开工”逾期 3 天" in body
    assert 'data-colour-count="red">1<' in body and 'data-colour-count="grey">1<' in body


def test_filters_narrow_by_colour_and_by_unit_and_ignore_what_does_not_fit(plan):
    user = make_persona("leo")
    only_red = page(user, "/lights/", colour="red").content.decode()
    assert "严重逾期" in only_red and "小幅逾期" not in only_red
    kjj = page(user, "/lights/", unit="kjj").content.decode()
    assert "小幅逾期" in kjj and "严重逾期" not in kjj
    assert page(user, "/lights/", colour="purple", unit="nowhere", plan="x").status_code == 200


def test_a_part_narrows_the_board_to_the_tasks_below_it(plan):
    part = make_task(plan, "4", title="第四部分")
    make_task(plan, "4.1", parent=part, title="部分内任务", responsible=("市科技局",))
    make_task(plan, "40", title="编号相近的任务")  # "40" is not below "4"
    user = make_persona("leo")
    whole = page(user, "/lights/").content.decode()
    assert '<option value="4">4 第四部分</option>' in whole and "编号相近的任务" in whole
    narrowed = page(user, "/lights/", part="4").content.decode()
    assert "部分内任务" in narrowed and "编号相近的任务" not in narrowed and "严重逾期" not in narrowed
    assert "严重逾期" in page(user, "/lights/", part="nope").content.decode()  # what does not fit is ignored


def test_an_override_is_shown_beside_the_light_it_moved(plan):
    task = plan.tasks.get(code="1")
    LightOverride.objects.create(task=task, computed="red", colour="orange", reason="已有整改方案",
                                 by=make_persona("sam"))  # fmt: skip
    assert "督查调整为“滞后”" in page(make_persona("leo"), "/lights/").content.decode()


def test_the_board_downloads_as_a_workbook_with_the_same_rows(plan):
    response = page(make_persona("leo"), "/lights.xlsx", colour="red")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [(row[0], row[1]) for row in rows] == [("严重滞后", "1")]
    assert "2025-07-20" in sheet["A1"].value and sheet["A3"].fill.fgColor.rgb.endswith("CF222E")


def test_the_board_costs_the_same_queries_for_few_and_many_tasks(plan):
    client = Client()
    client.force_login(make_persona("leo"))
    client.get("/lights/")  # the first visit of the day stores the plan's lights
    with CaptureQueriesContext(connection) as few:
        client.get("/lights/")
    for n in range(10):
        task = make_task(plan, f"9.{n}", title=f"任务 {n}", responsible=("市科技局",))
        make_milestone(task, "a", TODAY - timedelta(days=n + 1))
    from evaluation.lights import plan_lights_store

    plan_lights_store(plan_id=plan.pk, as_of=TODAY)  # as the daily job (the factory sends no change)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/lights/").content.decode()
    assert body.count('<tr id="task-') == 13
    assert len(many.captured_queries) == len(few.captured_queries)
