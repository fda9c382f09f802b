"""The round pages: supervisors open a round from the list and watch it open; the round page counts each
unit's reports with the laggards first."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Report, ReportingRound
from tests.factories import make_task
from tests.support import submit_report
from tests.workflow.conftest import fill_and_sign
from workflow import services


def _open(client, world, **data):
    return client.post("/rounds/", {"plan": world.plan.pk, "period": "2025-Q3", "due_date": "2025-10-10", **data})


@time_machine.travel("2025-10-01 10:00 +0800")
def test_a_supervisor_opens_a_round_and_lands_on_its_page(world, page_client, django_capture_on_commit_callbacks):
    client = page_client("sam")
    with django_capture_on_commit_callbacks(execute=True):
        response = _open(client, world)
    round_ = ReportingRound.objects.get(plan=world.plan, period="2025-Q3")
    assert response.status_code == 302 and response["Location"] == f"/rounds/{round_.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "已开启 2025-Q3 报送轮次，各任务的报告已排队生成，本页显示进度。"]
    assert round_.status == ReportingRound.Status.OPEN  # the job ran after the commit
    assert Report.objects.filter(round=round_).count() == 3
    page = client.get(f"/rounds/{round_.pk}/")
    assert "Refresh" not in page
    again = _open(client, world)
    assert again.status_code == 302 and again["Location"] == f"/rounds/{round_.pk}/"
    assert [str(m) for m in get_messages(again.wsgi_request)] == ["2025-Q3 报送轮次此前已开启。"]


def test_an_opening_round_shows_its_progress_and_refreshes_itself(world, page_client):
    client = page_client("sam")
    response = _open(client, world)  # the job waits for the commit, which this test never makes
    round_ = ReportingRound.objects.get(plan=world.plan, period="2025-Q3")
    assert round_.status == ReportingRound.Status.OPENING
    page = client.get(response["Location"])
    assert page["Refresh"] == "3"
    html = page.content.decode()
    assert 'id="round-status">开启中 0/1<' in html and "正在为各任务生成报告：0/1" in html


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"period": "2025-13"}, "period", "期次格式应为 2025-Q3 或 2025-07。"),
    ({"period": "2025-Q3", "due_date": "2025-06-01"}, "due_date", "截止日期不能早于期初。"),  # the service's rule
    ({"due_date": ""}, "due_date", "该字段是必填项。"),
])
def test_a_refused_opening_shows_the_form_again_with_the_reason(world, page_client, data, field, message):
    response = _open(page_client("sam"), world, **data)
    assert response.status_code == 400
    assert message in response.content.decode().split(f'for="id_{field}"')[1].split("</label>")[0]
    assert not ReportingRound.objects.exists()


def test_only_supervisors_may_open_a_round_and_leaders_get_no_form(world, page_client):
    assert _open(page_client("leo"), world).status_code == 403
    assert 'id="round-open-form"' not in page_client("leo").get("/rounds/").content.decode()
    assert 'id="round-open-form"' in page_client("sam").get("/rounds/").content.decode()
    assert _open(page_client("jxw-h"), world).status_code == 403
    assert not ReportingRound.objects.exists()


@time_machine.travel("2025-10-12 10:00 +0800")
def test_the_list_shows_each_rounds_progress(world, page_client):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    html = page_client("leo").get("/rounds/").content.decode()
    card = html.split(f'id="round-{round_.pk}"')[1].split("</li>")[0]
    assert "单位报告已报 1/2" in card and "任务已通过 0/1" in card and ">进行中<" in card


def _unit_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="unit-(\w+)"', html)


@time_machine.travel("2025-10-12 10:00 +0800")
def test_the_round_page_puts_laggards_first_and_sorts_by_a_column(world, page_client):
    round_ = world.open_round()  # due 2025-10-10: two days ago
    part = world.part(round_, "市科技局")
    submit_report(actor=world["kjj-r"], report_id=part.pk)  # late
    services.report_return(actor=world["kjj-h"], report_id=part.pk, reason="补充")
    client = page_client("sam")
    html = client.get(f"/rounds/{round_.pk}/").content.decode()
    # 发改委 has not reported at all: overdue first; the lead unit (no part of its own, nothing late) last
    assert _unit_rows(html) == ["fgw", "kjj", "jxw"]
    assert '<span class="chip chip-red">逾期未报 1</span>' in html.split('id="unit-fgw"')[1].split("</tr>")[0]
    assert _unit_rows(client.get(f"/rounds/{round_.pk}/?sort=late").content.decode())[0] == "kjj"
    assert _unit_rows(client.get(f"/rounds/{round_.pk}/?sort=returned_in_unit").content.decode())[0] == "kjj"
    for old_or_bogus in ("returned", "bogus"):  # the old column is split by level: its key is ignored now
        assert _unit_rows(client.get(f"/rounds/{round_.pk}/?sort={old_or_bogus}").content.decode()) == [
            "fgw", "kjj", "jxw"]
    figures = html.split('class="figures figures-wide"')[1].split("</dl>")[0]
    assert re.search(r"逾期未报</dt><dd>1<", figures) and re.search(r"退回待改</dt><dd>1<", figures)


def test_the_period_and_due_date_are_suggested(world, page_client):
    with time_machine.travel(date(2025, 8, 20)):
        html = page_client("sam").get("/rounds/").content.decode()
    assert 'value="2025-Q3"' in html and 'value="2025-10-10"' in html


# --- the unit filter -------------------------------------------------------------------------------------------

def _round_with_units(world, *extra_units: str) -> ReportingRound:
    """The world's round, with one more task whose responsible units are ``extra_units``."""
    make_task(world.plan, "1.2", parent=world.task.parent, responsible=extra_units)
    return world.open_round()


@time_machine.travel("2025-10-12 10:00 +0800")
def test_the_round_page_filters_units_by_name_and_by_track(world, page_client):
    round_ = _round_with_units(world, "渝北区", "江北区")
    client = page_client("sam")
    url = f"/rounds/{round_.pk}/"
    assert sorted(_unit_rows(client.get(url).content.decode())) == ["fgw", "jiangbei", "jxw", "kjj", "yubei"]
    assert _unit_rows(client.get(url, {"q": "渝北"}).content.decode()) == ["yubei"]
    assert _unit_rows(client.get(url, {"q": "Science"}).content.decode()) == ["kjj"]
    assert _unit_rows(client.get(url, {"q": "fgw"}).content.decode()) == ["fgw"]
    assert sorted(_unit_rows(client.get(url, {"track": "central"}).content.decode())) == ["jiangbei", "yubei"]
    html = client.get(url, {"track": "departments", "q": "科技", "sort": "parts"}).content.decode()
    assert _unit_rows(html) == ["kjj"]
    assert 'name="q" value="科技"' in html and '<option value="departments" selected>' in html
    assert '<option value="parts" selected>' in html
    assert "符合条件的单位 1 个（共 5 个）" in html
    nothing = client.get(url, {"q": "没有这个单位"}).content.decode()
    assert _unit_rows(nothing) == [] and "没有符合条件的单位。" in nothing


@time_machine.travel("2025-10-12 10:00 +0800")
def test_a_bad_filter_value_is_ignored_not_an_error(world, page_client):
    round_ = _round_with_units(world, "渝北区")
    client = page_client("sam")
    for params in ({"track": "no-such-track"}, {"track": "¹¹"}, {"q": "x" * 500}, {"sort": "bogus"}, {"q": "a\x00b"}):
        response = client.get(f"/rounds/{round_.pk}/", params)
        assert response.status_code == 200, params
        assert sorted(_unit_rows(response.content.decode())) == ["fgw", "jxw", "kjj", "yubei"], params


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@time_machine.travel("2025-10-12 10:00 +0800")
@pytest.mark.parametrize("params", [{}, {"q": "区"}, {"track": "central", "sort": "missing"}])
def test_the_round_page_costs_the_same_queries_for_4_units_and_for_13(world, page_client, params):
    client = page_client("sam")
    small = _round_with_units(world, "渝北区")
    few = _queries(client, f"/rounds/{small.pk}/", params)
    districts = ("江北区", "沙坪坝区", "九龙坡区", "南岸区", "北碚区", "巴南区", "大渡口区", "渝中区")
    make_task(world.plan, "1.3", parent=world.task.parent, responsible=(*districts, "市财政局"))
    large = world.open_round("2025-Q4", date(2026, 1, 10))
    many = _queries(client, f"/rounds/{large.pk}/", params)
    assert len(_unit_rows(client.get(f"/rounds/{large.pk}/").content.decode())) == 13  # and the lead unit
    assert few == many
