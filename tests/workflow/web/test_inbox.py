"""The inbox page and the navigation badge: what waits for whom, grouped by due date with the overdue first,
counted per step — at a cost that does not grow with the number of items."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_user
from tests.factories import make_task
from tests.support import submit_report
from tests.workflow.conftest import fill_and_sign
from units.models import Membership
from workflow import services

TODAY = "2025-10-12 10:00 +0800"


def _groups(html: str) -> list[tuple[str, str]]:
    """(due date, due chip) of each group, in page order."""
    return re.findall(r'<time datetime="([\d-]+)">[\d-]+</time>\s*<span class="chip chip-\w+">([^<]+)</span>', html)


def _items(html: str) -> list[str]:
    return re.findall(r'<li class="inbox-item card" id="inbox-(\d+)"', html)


def _badge(html: str) -> str | None:
    header = html.split("</header>")[0]
    match = re.search(r'<span class="count( count-alert)?" data-inbox-total>(\d+)</span>', header)
    return None if match is None else ("!" if match.group(1) else "") + match.group(2)


@time_machine.travel(TODAY)
def test_items_are_grouped_by_due_date_with_the_overdue_first(world, page_client):
    late = world.open_round("2025-Q3", date(2025, 10, 10))   # due two days ago
    soon = world.open_round("2025-Q4", date(2025, 10, 15))   # due in three days
    html = page_client("fgw-r").get("/inbox/").content.decode()
    assert _groups(html) == [("2025-10-10", "逾期 2 天"), ("2025-10-15", "3 天后到期")]
    assert _items(html) == [str(world.part(late, "市发展改革委").pk), str(world.part(soon, "市发展改革委").pk)]
    assert '<span class="chip chip-red">逾期 2 天</span>' in html
    assert "共 2 项等你处理" in html and "逾期 1 项" in html
    item = html.split(f'id="inbox-{world.part(late, "市发展改革委").pk}"')[1].split("</li>")[0]
    assert '<span class="step-tag step-fill">填报</span>' in item
    assert "1.1" in item and "任务 1.1" in item and "市发展改革委" in item
    # The plan and its period head the group, once; the rows do not repeat them.
    assert "2025-Q3" not in item and world.plan.title not in item
    assert re.findall(r'<h3 class="inbox-plan"[^>]*>([^<]+) <span class="muted">([^<]+)</span>', html) == [
        (world.plan.title, "2025-Q3"), (world.plan.title, "2025-Q4")]
    assert f'href="/reports/{world.part(late, "市发展改革委").pk}/">去填报</a>' in item


@time_machine.travel(TODAY)
@pytest.mark.parametrize(("persona", "badge", "steps"), [
    ("fgw-r", None, []),               # submitted: nothing left to fill
    ("fgw-h", "!1", ["sign_off"]),     # the head signs it off (overdue: due 2025-10-10)
    ("kjj-r", "!1", ["fill"]),
    ("jxw-r", None, []),               # consolidation opens once both parts are signed off
    ("sam", None, []),
    ("leo", None, []),
])
def test_the_badge_counts_what_waits_for_each_persona(world, page_client, persona, badge, steps):
    round_ = world.open_round()
    submit_report(actor=world["fgw-r"], report_id=world.part(round_, "市发展改革委").pk)
    html = page_client(persona).get("/inbox/").content.decode()
    assert _badge(html) == badge
    assert re.findall(r'data-step="(\w+)"', html) == steps


@time_machine.travel(TODAY)
def test_every_step_shows_in_the_tabs_and_one_tab_keeps_one_step(world, page_client):
    both = make_user("both", ("市发展改革委", Membership.Role.REPORTER), ("市发展改革委", Membership.Role.HEAD))
    round_ = world.open_round()
    task = make_task(world.plan, "1.2", parent=world.task.parent, responsible=("市发展改革委",))
    round_2 = world.open_round("2025-Q4", date(2025, 12, 1))
    submit_report(actor=world["fgw-r"], report_id=world.part(round_, "市发展改革委").pk)
    client = Client()
    client.force_login(both)
    html = client.get("/inbox/").content.decode()
    assert 'data-step-tab="fill"' in html and 'data-step-tab="sign_off"' in html
    assert re.search(r'title="填报 2 · 审签 1"', html), "the badge's tooltip counts per step"
    assert _badge(html) == "!3"
    only = client.get("/inbox/?step=sign_off").content.decode()
    assert re.findall(r'data-step="(\w+)"', only) == ["sign_off"]
    assert client.get("/inbox/?step=nonsense").status_code == 200
    assert world.part(round_2, "市发展改革委", task=task).pk  # the 2025-Q4 round has the new task too


@time_machine.travel(TODAY)
def test_a_returned_report_shows_its_reason_in_the_inbox(world, page_client):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    services.report_return(actor=world["jxw-r"], report_id=world.part(round_, "市科技局").pk, reason="缺少佐证材料")
    html = page_client("kjj-r").get("/inbox/").content.decode()
    item = html.split('class="inbox-item card"')[1].split("</li>")[0]
    assert "退回 1 次" in item and "缺少佐证材料" in item


@time_machine.travel(TODAY)
def test_the_consolidation_and_review_steps_reach_the_lead_unit_and_the_supervisor(world, page_client):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    assert re.findall(r'data-step="(\w+)"', page_client("jxw-h").get("/inbox/").content.decode()) == ["consolidate"]
    submit_report(actor=world["jxw-r"], report_id=world.task_report(round_).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(round_).pk)
    html = page_client("sam").get("/inbox/").content.decode()
    assert re.findall(r'data-step="(\w+)"', html) == ["review"]
    assert ">去审核</a>" in html


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@time_machine.travel(TODAY)
def test_the_inbox_costs_the_same_queries_for_one_item_and_for_many(world, page_client):
    client = page_client("fgw-r")
    world.open_round()
    one = _queries(client, "/inbox/")
    for number in range(2, 14):
        make_task(world.plan, f"1.{number}", parent=world.task.parent, responsible=("市发展改革委", "市科技局"))
    world.open_round("2025-Q4", date(2025, 12, 1))
    many = _queries(client, "/inbox/")
    assert len(_items(client.get("/inbox/").content.decode())) == 14
    assert one == many


@time_machine.travel(TODAY)
def test_the_badge_costs_one_query_on_any_page(world, page_client):
    world.open_round()
    client = page_client("fgw-r")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/units/").content.decode()
    assert _badge(html) == "!1"
    assert len([query for query in queries if "tasks_report" in query["sql"]]) == 1


def test_a_long_inbox_is_paginated_and_keeps_the_step_filter(world, client, monkeypatch):
    from tests.factories import make_task
    from workflow.views import inbox

    for n in range(3):
        make_task(world.plan, f"1.{n + 5}", parent=world.task.parent, responsible=("市发展改革委",))
    world.open_round()
    monkeypatch.setattr(inbox, "INBOX_PAGE_SIZE", 2)
    client.force_login(world["fgw-r"])
    first = client.get("/inbox/?step=fill")
    assert first.status_code == 200
    assert len(first.context["page"].object_list) == 2
    assert first.context["total"] == 4
    assert "step=fill&amp;page=2" in first.content.decode()
    second = client.get("/inbox/?step=fill&page=2")
    assert len(second.context["page"].object_list) == 2
    assert {item.pk for item in first.context["page"].object_list}.isdisjoint(
        item.pk for item in second.context["page"].object_list)
