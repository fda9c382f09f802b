"""The inbox, second pass (issue 7, item 16): returned work first, then the overdue, then by due date; filters by
step, unit, plan and "returned" (page and API); a started draft is marked; the plan is named once per group; the
home page says what to do next; the order is an index walk and the page's queries do not grow."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tasks.models import Report
from tests.conftest import make_user
from tests.factories import make_plan, make_task
from tests.workflow.conftest import World
from units.models import Membership
from workflow import selectors, services

TODAY = "2025-10-12 10:00 +0800"
R = Membership.Role.REPORTER


def _items(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="inbox-item card" id="inbox-(\d+)"', html)]


def _api(user, query: str = "") -> list[dict]:
    client = APIClient()
    client.force_login(user)
    response = client.get(f"/api/inbox/{query}")
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


class Desk:
    """fgw-r's desk on 2025-10-12: tasks 1.1–1.3 in round 2025-Q3 (due 10-10, overdue) and 2025-Q4 (due 10-15);
    task 1.3's 2025-Q4 part was submitted and returned by the unit's head; task 1.2's 2025-Q3 draft was saved."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.t2 = make_task(world.plan, "1.2", parent=world.task.parent, responsible=("市发展改革委",))
        self.t3 = make_task(world.plan, "1.3", parent=world.task.parent, responsible=("市发展改革委",))
        self.q3 = world.open_round("2025-Q3", date(2025, 10, 10))
        self.q4 = world.open_round("2025-Q4", date(2025, 10, 15))
        reporter, head = world["fgw-r"], world["fgw-h"]
        self.returned = world.part(self.q4, "市发展改革委", task=self.t3)
        content = services.report_content({"narrative": "已完成", "percent_complete": Decimal("50")})
        services.report_submit(actor=reporter, report_id=self.returned.pk, content=content)
        services.report_return(actor=head, report_id=self.returned.pk, reason="数据有误")
        self.started = world.part(self.q3, "市发展改革委", task=self.t2)
        services.report_update(
            actor=reporter, report_id=self.started.pk, content=services.report_content({"narrative": "草稿"})
        )

    def part(self, round_, task=None) -> int:
        return self.world.part(round_, "市发展改革委", task=task).pk

    @property
    def expected_order(self) -> list[int]:
        q3, q4, t1, t2, t3 = self.q3, self.q4, self.world.task, self.t2, self.t3
        # Returned first; then the overdue round (by task), then the later one.
        return [
            self.returned.pk,
            self.part(q3, t1),
            self.part(q3, t2),
            self.part(q3, t3),
            self.part(q4, t1),
            self.part(q4, t2),
        ]


@pytest.fixture
def desk(world: World) -> Desk:
    return Desk(world)


@time_machine.travel(TODAY)
def test_returned_work_comes_first_then_the_overdue_then_by_due_date(world, desk, page_client):
    assert _items(page_client("fgw-r").get("/inbox/").content.decode()) == desk.expected_order
    assert [item["id"] for item in _api(world["fgw-r"])] == desk.expected_order
    assert [report.pk for report in selectors.inbox(user=world["fgw-r"])] == desk.expected_order


@time_machine.travel(TODAY)
def test_the_returned_group_is_marked_and_the_plan_is_named_once_per_group(world, desk, page_client):
    html = page_client("fgw-r").get("/inbox/").content.decode()
    sections = html.split('<section class="inbox-group')[1:]
    assert "data-returned-group" in sections[0] and str(desk.returned.pk) in sections[0]
    assert all("data-returned-group" not in section for section in sections[1:])
    # One heading per group and round, naming the plan; the rows never repeat its title.
    headings = re.findall(r'<h3 class="inbox-plan"[^>]*>([^<]+) <span class="muted">([^<]+)</span>', html)
    assert headings == [(world.plan.title, "2025-Q4"), (world.plan.title, "2025-Q3"), (world.plan.title, "2025-Q4")]
    rows = re.findall(r'<li class="inbox-item card".*?</li>', html, flags=re.S)
    assert len(rows) == 6 and all(world.plan.title not in row for row in rows)


@time_machine.travel(TODAY)
def test_a_draft_with_saved_content_is_marked_started(world, desk, page_client):
    html = page_client("fgw-r").get("/inbox/").content.decode()
    marked = [int(pk) for pk in re.findall(r'id="inbox-(\d+)"(?:(?!</li>).)*data-draft-started', html, flags=re.S)]
    assert marked == [desk.started.pk]
    assert {item["id"]: item["draft_started"] for item in _api(world["fgw-r"])} == {
        pk: pk == desk.started.pk for pk in desk.expected_order
    }
    # Saving the returned draft again starts it anew.
    services.report_update(
        actor=world["fgw-r"], report_id=desk.returned.pk, content=services.report_content({"narrative": "已更正"})
    )
    started = {item["id"] for item in _api(world["fgw-r"]) if item["draft_started"]}
    assert started == {desk.started.pk, desk.returned.pk}


@time_machine.travel(TODAY)
def test_an_item_carries_its_page_and_its_api_url_and_whether_it_was_returned(world, desk):
    first = _api(world["fgw-r"])[0]
    assert first["link"] == f"/reports/{desk.returned.pk}/"
    assert first["url"] == f"/api/reports/{desk.returned.pk}/"
    assert (first["returned"], first["times_returned"]) == (True, 1)
    assert first["plan"] == {"id": world.plan.pk, "code": world.plan.code, "title": world.plan.title}
    client = APIClient()
    client.force_login(world["fgw-r"])
    assert client.get(first["url"]).json()["id"] == desk.returned.pk


@time_machine.travel(TODAY)
def test_the_inbox_filters_by_step_unit_plan_and_returned(world, desk, page_client):
    both = make_user("both", ("市发展改革委", R), ("市科技局", R))
    other = make_plan("wf2")
    parent = make_task(other, "1", lead=None)
    elsewhere = make_task(other, "1.1", parent=parent, responsible=("市发展改革委",))
    round_, _ = services.round_open(actor=world["sam"], plan=other, period="2025-Q3", due_date=date(2025, 10, 20))
    services.round_open_run(round_id=round_.pk)
    other_item = world.part(round_, "市发展改革委", task=elsewhere).pk
    kjj = {world.part(desk.q3, "市科技局").pk, world.part(desk.q4, "市科技局").pk}
    fgw = {*desk.expected_order, other_item}
    fgw_unit, kjj_unit = (
        Membership.objects.get(user=both, unit__short_name=name).unit for name in ("市发展改革委", "市科技局")
    )
    web = Client()
    web.force_login(both)

    def on_page(query: str) -> set[int]:
        response = web.get(f"/inbox/{query}")
        assert response.status_code == 200
        return set(_items(response.content.decode()))

    cases = {
        "": fgw | kjj,
        f"?unit={kjj_unit.pk}": kjj,
        f"?plan={other.pk}": {other_item},
        "?returned=1": {desk.returned.pk},
        f"?step=fill&unit={fgw_unit.pk}&plan={world.plan.pk}": set(desk.expected_order),
        "?step=sign_off": set(),
    }
    for query, expected in cases.items():
        assert on_page(query) == expected, query
        api_query = query.replace("returned=1", "returned=true")
        assert {item["id"] for item in _api(both, api_query)} == expected, query
    # The API takes codes too; the page's filters offer the units and plans the inbox has items of.
    assert {item["id"] for item in _api(both, "?unit=kjj&plan=wf")} == kjj
    assert {item["id"] for item in _api(both, "?returned=false")} == (fgw | kjj) - {desk.returned.pk}
    html = web.get("/inbox/").content.decode()
    form = html.split('id="inbox-filters"')[1].split("</form>")[0]
    assert f'<option value="{fgw_unit.pk}">' in form and f'<option value="{kjj_unit.pk}">' in form
    assert f'<option value="{other.pk}">' in form and f'<option value="{world.plan.pk}">' in form
    # Tabs keep the other filters; nonsense is no filter on the page and a 400 naming the parameter in the API.
    assert f'href="?step=fill&amp;unit={kjj_unit.pk}"' in web.get(f"/inbox/?unit={kjj_unit.pk}").content.decode()
    assert on_page("?unit=²&plan=abc&returned=yes") == fgw | kjj
    client = APIClient()
    client.force_login(both)
    response = client.get("/api/inbox/?step=nonsense")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["step"]


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@time_machine.travel(TODAY)
def test_a_filtered_inbox_costs_a_fixed_number_of_queries(world, page_client):
    world.open_round()
    client = page_client("fgw-r")
    api = APIClient()
    api.force_login(world["fgw-r"])
    unit = Membership.objects.get(user=world["fgw-r"]).unit_id
    query = f"?step=fill&unit={unit}&plan={world.plan.pk}&returned=1"
    before = (
        _queries(client, "/inbox/"),
        _queries(client, f"/inbox/{query}"),
        _queries(api, "/api/inbox/"),
        _queries(api, f"/api/inbox/?unit={unit}&returned=false"),
    )
    for number in range(2, 14):
        make_task(world.plan, f"1.{number}", parent=world.task.parent, responsible=("市发展改革委",))
    world.open_round("2025-Q4", date(2025, 12, 1))
    after = (
        _queries(client, "/inbox/"),
        _queries(client, f"/inbox/{query}"),
        _queries(api, "/api/inbox/"),
        _queries(api, f"/api/inbox/?unit={unit}&returned=false"),
    )
    assert before == after


def test_the_inbox_order_is_the_order_of_its_index():
    """The first page is an index walk: the ORDER BY is the index's columns in its directions, and the database,
    asked for the order alone, walks the index instead of sorting (PostgreSQL told not to sort or scan)."""
    index = next(index for index in Report._meta.indexes if index.name == "report_inbox_order_idx")
    assert [*index.fields[:-1], "pk"] == list(selectors.INBOX_ORDER) and index.fields[-1] == "id"


@pytest.mark.django_db
def test_the_database_walks_the_inbox_index_instead_of_sorting():
    page = Report.objects.order_by(*selectors.INBOX_ORDER).values("pk")[:50]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = page.explain()
        assert "report_inbox_order_idx" in plan and "Sort" not in plan, plan
    else:
        plan = page.explain()
        assert "report_inbox_order_idx" in plan and "TEMP B-TREE" not in plan, plan


# --- the home page and the approved report -------------------------------------------------------------------


@time_machine.travel(TODAY)
def test_the_home_page_tells_each_persona_its_next_step(world, desk, page_client):
    html = page_client("fgw-r").get("/").content.decode()
    steps = html.split('id="next-steps"')[1].split("</section>")[0]
    assert "6 项待填报，截止 2025-10-10" in steps
    assert 'href="/inbox/?step=fill"' in steps
    assert "其中 1 项被退回" in steps and "逾期 3 项" in steps
    for idle in ("fgw-h", "leo"):  # the returned part went back to the reporter; a leader acts on nothing
        assert "没有等你处理的事项" in page_client(idle).get("/").content.decode(), idle


@time_machine.travel(TODAY)
def test_the_home_page_costs_one_query_for_the_next_steps(world, page_client):
    world.open_round()
    client = page_client("fgw-r")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert len([query for query in queries if "tasks_report" in query["sql"]]) == 2  # the badge and the steps


@time_machine.travel(TODAY)
def test_an_approved_report_says_who_approved_it_and_when(world, page_client):
    from tests.workflow.conftest import fill_and_sign

    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    services.report_submit(
        actor=world["jxw-r"],
        report_id=task_report.pk,
        content=services.report_content({"narrative": "汇总", "percent_complete": Decimal("50")}),
    )
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    with time_machine.travel("2025-10-13 09:30 +0800", tick=False):
        services.report_approve(actor=world["sam"], report_id=task_report.pk)
    sam = world["sam"].get_full_name() or world["sam"].get_username()
    for report in (task_report, world.part(round_, "市发展改革委")):
        html = page_client("jxw-r").get(f"/reports/{report.pk}/").content.decode()
        sub = html.split('class="report-sub"')[1].split("</p>")[0]
        assert "不需要处理" not in sub
        assert "已审核通过" in sub and sam in sub and "2025-10-13 09:30" in sub
