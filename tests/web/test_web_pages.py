"""The server-rendered pages: who may see them, in which language, and what they show."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tasks.models import AuditEvent, Milestone, Plan, PlanTask
from tests.conftest import make_user
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Membership, Unit

# (page, path, a word the page shows in Chinese, the same word in English)
PAGES = [
    ("home", "/", "我的单位", "My units"),
    ("plan", "/plans/web/", "牵头单位", "Lead unit"),
    ("task", "/plans/web/tasks/2.1.1/", "牵头单位", "Lead unit"),
    ("unit", "/units/jxw/", "牵头任务", "Tasks led"),
    ("unit list", "/units/", "单位名录", "Unit directory"),
    ("search", "/search/?q=轻合金", "指标", "Indicators"),
    ("map", "/map/", "还没有发布的赛马比拼结果", "No unit ranking has been published yet"),
]


def _row_codes(html: str) -> list[str]:
    """Codes of the task rows a plan page shows (context rows included), in order."""
    return re.findall(r'<td class="col-code" data-label="[^"]*">([^<]+)</td>', html)


def _matched_codes(html: str) -> list[str]:
    rows = re.findall(r'<tr class="([^"]*)">\s*<td class="col-code" data-label="[^"]*">([^<]+)</td>', html)
    return [code for classes, code in rows if "is-context" not in classes]


def _part_codes(html: str) -> list[str]:
    return re.findall(r'<span class="part-code">([^<]+)</span>', html)


@pytest.mark.parametrize(("page", "path", "chinese", "english"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_answers_in_chinese_by_default_and_in_english_after_the_switch(
    register, alice, client_for, page, path, chinese, english
):
    zh = client_for(alice).get(path)
    assert zh.status_code == 200, page
    assert chinese in zh.content.decode()
    assert english not in zh.content.decode()

    en = client_for(alice, "en").get(path)
    assert en.status_code == 200, page
    assert english in en.content.decode()
    assert chinese not in en.content.decode()


@pytest.mark.parametrize("path", [p[1] for p in PAGES], ids=[p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_the_login_page(register, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "path",
    ["/plans/nope/", "/plans/web/tasks/9.9/", "/plans/nope/tasks/1/", "/units/nope/", "/plans/web/tasks/1..x/"],
)
def test_unknown_plans_tasks_and_units_are_not_found(register, alice, client_for, path):
    assert client_for(alice).get(path).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("alice", 404), ("bob", 404), ("leo", 404), ("sam", 200)])
def test_a_draft_plan_is_visible_to_supervisors_only(register, client_for, request, persona, status):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/plans/draft/").status_code == status
    assert client.get("/plans/draft/tasks/1/").status_code == status
    assert ("草稿方案" in client.get("/").content.decode()) is (status == 200)


def test_the_plan_page_shows_header_parts_and_the_whole_tree(register, alice, client_for):
    html = client_for(alice).get("/plans/web/").content.decode()
    assert "重庆市人民政府办公厅" in html
    assert "2023-09-01" in html
    assert "2023-01-01 – 2027-12-31" in html
    assert "按季度" in html
    assert _part_codes(html) == ["1", "2"]
    assert _row_codes(html) == ["1.1", "2.1", "2.1.1", "2.2"]
    assert _matched_codes(html) == ["1.1", "2.1", "2.1.1", "2.2"]
    assert "持续推进" in html  # a task without a due date shows its due text
    assert '<details class="part" id="part-1">' in html  # collapsed until the reader opens it


@pytest.mark.parametrize(
    ("query", "parts", "matched", "context"),
    [
        ({"unit": "kjj"}, ["2"], ["2.1", "2.1.1"], []),  # responsible for 2.1, lead of 2.1.1
        ({"unit": "yubei"}, ["2"], ["2.1.1"], ["2.1"]),
        ({"unit": "fgw"}, ["1", "2"], ["1.1", "2.2"], []),  # part 2 itself matches too (its header)
        ({"kind": "deliverable"}, ["2"], ["2.1", "2.2"], []),
        ({"status": "done"}, ["2"], ["2.2"], []),
        ({"importance": "major"}, ["1"], ["1.1"], []),
        ({"q": "铝合金"}, ["2"], ["2.1.1"], ["2.1"]),
        ({"q": "4万亿"}, ["1"], ["1.1"], []),  # full text
        ({"q": "2.2"}, ["2"], ["2.2"], []),  # code
        ({"kind": "deliverable", "status": "in_progress"}, ["2"], ["2.1"], []),
        ({"q": "不存在的任务"}, [], [], []),
        ({"kind": "nonsense"}, ["1", "2"], ["1.1", "2.1", "2.1.1", "2.2"], []),  # an unknown value is ignored
    ],
)
def test_plan_filters_keep_the_tree_shape(register, alice, client_for, query, parts, matched, context):
    response = client_for(alice).get("/plans/web/", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert _part_codes(html) == parts
    assert _matched_codes(html) == matched
    assert sorted(set(_row_codes(html)) - set(matched)) == context


def test_a_filtered_plan_page_says_how_many_tasks_match(register, alice, client_for):
    html = client_for(alice).get("/plans/web/", {"q": "铝合金"}).content.decode()
    assert "符合条件的任务 1 项（共 6 项）" in html
    assert "没有符合条件的任务" in client_for(alice).get("/plans/web/", {"q": "zzz"}).content.decode()


def test_illustrative_units_are_flagged_on_the_plan_and_on_each_illustrative_task(register, alice, client_for):
    client = client_for(alice)
    html = client.get("/plans/web/").content.decode()
    assert "除原文载明的任务外，牵头单位和责任单位为示例分配，并非正式分工" in html
    badge = 'class="badge badge-illustrative"'
    rows = dict(re.findall(r'data-label="[^"]*">([0-9.]+)</td>\s*<td class="col-title"[^>]*>(.*?)</td>', html, re.S))
    assert {code for code, cell in rows.items() if badge in cell} == {"1.1", "2.2"}
    assert badge in client.get("/plans/web/tasks/2.2/").content.decode()
    assert badge not in client.get("/plans/web/tasks/2.1/").content.decode()


def test_a_plan_with_official_units_has_no_illustrative_notice(register, alice, client_for):
    Plan.objects.filter(pk=register.plan.pk).update(units_illustrative=False)
    PlanTask.objects.filter(plan=register.plan).update(units_illustrative=False)
    html = client_for(alice).get("/plans/web/").content.decode()
    assert "并非正式分工" not in html
    assert "badge-illustrative" not in html


def test_the_task_page_shows_breadcrumb_units_dates_children_and_text(register, alice, client_for):
    html = client_for(alice).get("/plans/web/tasks/2.1/").content.decode()
    breadcrumb = html.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert "/plans/web/tasks/2/" in breadcrumb and "/plans/web/" in breadcrumb
    assert "做强轻合金材料产业" in html
    assert 'href="/units/jxw/"' in html and 'href="/units/kjj/"' in html
    assert "2026-12-31" in html
    assert 'href="/plans/web/tasks/2.1.1/"' in html  # its child
    assert "暂无变更记录" in html


def test_a_task_code_with_several_dots_resolves(register, alice, client_for):
    html = client_for(alice).get("/plans/web/tasks/2.1.1/").content.decode()
    assert "铝合金精深加工" in html
    assert "持续推进" in html
    breadcrumb = html.split('class="breadcrumb"')[1].split("</nav>")[0]
    assert breadcrumb.index("/plans/web/tasks/2/") < breadcrumb.index("/plans/web/tasks/2.1/")


def test_the_indicator_shows_its_path_with_illustrative_values_marked(register, alice, client_for):
    html = client_for(alice).get("/plans/web/tasks/1.1/").content.decode()
    section = html.split('id="indicator-I01"')[1].split("</article>")[0]
    for text in ("规模以上工业企业营业收入", "万亿元", "2022", "2.8", "3.28", "3.52", "2027", "迈上4万亿元台阶"):
        assert text in section
    assert "<svg" in section and section.count("<circle") == 4
    assert section.count('pt-illustrative"') == 2  # the 2022 baseline and the 2025 interim target
    assert "空心点为示例值" in section


def test_the_milestone_timeline_highlights_overdue_and_shows_moved_dates(register, alice, client_for):
    html = client_for(alice).get("/plans/web/tasks/1.1/").content.decode()
    items = dict(re.findall(r'<li class="timeline-item (is-[a-z_]+)" id="milestone-([a-z-]+)">', html)[i][::-1]
                 for i in range(3))
    assert items == {"m-done": "is-done", "m-overdue": "is-overdue", "m-moved": "is-later"}
    overdue = html.split('id="milestone-m-overdue"')[1].split("</li>")[0]
    assert "逾期 62 天" in overdue and "chip-red" in overdue
    moved = html.split('id="milestone-m-moved"')[1].split("</li>")[0]
    assert "2025-09-30" in moved
    assert re.search(r"原定 <s><time[^>]*>2025-06-30</time></s>", moved)
    assert "市科技局" in moved
    assert "原定" not in html.split('id="milestone-m-overdue"')[1].split("</li>")[0]
    assert html.index("milestone-m-done") < html.index("milestone-m-overdue") < html.index("milestone-m-moved")


def test_the_audit_trail_lists_the_newest_event_first(register, sam, alice, client_for):
    for action in ("task.update", "task.assign"):
        AuditEvent.objects.create(
            action=action, object_type="plantask", object_id=str(register.task_2_1.pk), actor=sam,
            plan=register.plan, task=register.task_2_1, comment=f"说明 {action}",
        )
    html = client_for(alice).get("/plans/web/tasks/2.1/").content.decode()
    assert html.index("task.assign") < html.index("task.update")
    assert "说明 task.assign" in html and "sam" in html
    assert re.search(r">2025-06-01 10:00<", html)  # Asia/Shanghai time


def test_the_unit_page_groups_work_by_plan_and_lists_due_milestones(register, alice, client_for):
    other = make_plan("other", title="另一个方案")
    make_task(other, "1", title="另一方案任务", lead="市经济信息委")
    make_milestone(register.task_2_1, "far", date(2026, 1, 31), title="很远的节点")  # beyond 180 days
    make_milestone(register.task_2_1, "soon", date(2025, 6, 20), title="临近节点")
    html = client_for(alice).get("/units/jxw/").content.decode()
    leads = html.split('id="leads-title"')[1].split("</section>")[0]
    assert "制造业高质量发展行动方案" in leads and "另一个方案" in leads
    for code in ("1", "1.1", "2.1"):
        assert f'href="/plans/web/tasks/{code}/"' in leads
    upcoming = html.split('id="upcoming-title"')[1].split("</section>")[0]
    assert "临近节点" in upcoming and "19 天后到期" in upcoming
    assert "很远的节点" not in html
    assert "三季度序时目标" not in upcoming  # owned by 市科技局
    overdue = html.split('id="overdue-title"')[1].split("</section>")[0]
    assert "一季度序时目标" in overdue
    assert "市经信委" in html  # aliases
    assert "市级部门" in html  # track and kind


def test_a_unit_page_shows_what_the_unit_contributes_to(register, alice, client_for):
    html = client_for(alice).get("/units/kjj/").content.decode()
    contributes = html.split('id="contributes-title"')[1].split("</section>")[0]
    leads = html.split('id="leads-title"')[1].split("</section>")[0]
    assert 'href="/plans/web/tasks/2.1/"' in contributes
    assert 'href="/plans/web/tasks/2.1.1/"' in leads
    assert 'href="/plans/web/tasks/2.1.1/"' not in contributes
    assert "三季度序时目标" in html  # the milestone it owns


def test_the_unit_directory_groups_units_by_track(register, alice, client_for):
    html = client_for(alice).get("/units/").content.decode()
    assert html.index("市级部门") < html.index("中心城区") < html.index("不参加排名")
    unranked = html.split('id="track-unranked"')[1]
    assert 'href="/units/bgt/"' in unranked


def test_search_finds_tasks_indicators_units_and_milestones(register, alice, client_for):
    client = client_for(alice)
    html = client.get("/search/", {"q": "序时目标"}).content.decode()
    assert "一季度序时目标" in html and "三季度序时目标" in html
    html = client.get("/search/", {"q": "经信委"}).content.decode()  # an alias
    assert 'href="/units/jxw/"' in html
    html = client.get("/search/", {"q": "营业收入"}).content.decode()
    assert 'href="/plans/web/tasks/1.1/#indicator-I01"' in html  # indicator name
    assert 'href="/plans/web/tasks/1.1/"' in html  # task text
    html = client.get("/search/", {"q": "草稿"}).content.decode()
    assert "草稿任务" not in html  # drafts stay hidden from a reporter
    assert "草稿任务" in client_for(User.objects.create_superuser("root", password="x")).get(
        "/search/", {"q": "草稿"}
    ).content.decode()


def test_search_shows_at_most_fifty_hits_of_a_kind_with_the_full_count(register, alice, client_for):
    plan = make_plan("many", title="多任务方案")
    for number in range(1, 56):
        make_task(plan, str(number), title=f"数字化车间 {number}")
    html = client_for(alice).get("/search/", {"q": "数字化车间"}).content.decode()
    tasks = html.split('id="hits-tasks"')[1].split("</section>")[0]
    assert '<span class="count">55</span>' in tasks
    assert tasks.count('class="list-row"') == 50
    assert "仅显示前 50 条" in tasks


def test_home_lists_readable_plans_with_their_figures_and_the_users_units(register, carol, client_for):
    # Due soon is today to 7 days ahead (tasks.due); m-moved, 2025-09-30, is later.
    make_milestone(register.task_2_1, "today", date(2025, 6, 1))
    make_milestone(register.task_2_1, "in-7", date(2025, 6, 8))
    make_milestone(register.task_2_1, "in-8", date(2025, 6, 9))
    html = client_for(carol).get("/").content.decode()
    card = html.split('href="/plans/web/"')[1].split("</li>")[0]
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", card))
    assert figures == {"任务": "6", "指标": "1", "7 天内到期节点": "2", "逾期节点": "1"}
    assert "草稿方案" not in html
    mine = html.split('id="units-title"')[1].split("</section>")[0]
    assert 'href="/units/jxw/"' in mine and "单位负责人" in mine


def test_the_navigation_shows_roles_language_switch_logout_and_admin_for_staff(register, alice, client_for):
    html = client_for(alice).get("/").content.decode()
    nav = html.split("</header>")[0]
    assert "市经济信息委 · 填报员" in nav
    assert 'action="/i18n/setlang/"' in nav and 'value="en"' in nav and 'value="zh-hans"' in nav
    assert re.search(r'<form class="logout" action="/accounts/logout/" method="post">', nav)
    assert 'href="/api/docs/"' not in nav  # a reporter without an API token (tests/web/test_nav_and_admin.py)
    assert 'href="/admin/"' not in nav
    staff = make_user("stella", ("市政府办公厅", Membership.Role.SUPERVISOR), is_staff=True)
    staff_nav = client_for(staff).get("/").content.decode().split("</header>")[0]
    assert 'href="/admin/"' in staff_nav and 'href="/api/docs/"' in staff_nav


def test_signing_in_with_the_login_form_lands_on_home(register, alice):
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert response["Location"] == "/landing/"  # leaders go on to the map; a reporter home
    assert client.get("/landing/")["Location"] == "/"
    assert client.get("/").status_code == 200
    wrong = Client().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 200
    assert "用户名或密码不正确" in wrong.content.decode()


def test_logout_is_a_post_that_ends_the_session(register, alice, client_for):
    client = client_for(alice)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def _plan_with_tasks(code: str, n: int) -> Plan:
    plan = make_plan(code)
    part = make_task(plan, "1", title="第一部分")
    for number in range(1, n):
        task = make_task(
            plan, f"1.{number}", parent=part, responsible=("市发展改革委", "市科技局"),
            importance=PlanTask.Importance.MAJOR if number % 2 else PlanTask.Importance.NORMAL,
        )
        make_milestone(task, "m", date(2025, 3, 31))
    return plan


@pytest.mark.parametrize("query", ["", "?unit=fgw&q=任务"])
def test_the_plan_page_costs_the_same_queries_for_5_and_for_40_tasks(alice, client_for, query):
    client = client_for(alice)
    small, large = _plan_with_tasks("small", 5), _plan_with_tasks("large", 40)
    assert PlanTask.objects.filter(plan=large).count() == 40
    assert _queries(client, f"/plans/{small.code}/{query}") == _queries(client, f"/plans/{large.code}/{query}")


def _unit_work(code: str, n: int, unit: str = "市科技局") -> None:
    """A plan where ``unit`` leads n tasks (each with an upcoming and an overdue milestone) and contributes to n."""
    plan = make_plan(code)
    owner = Unit.objects.get(short_name=unit)
    for number in range(1, n + 1):
        led = make_task(plan, f"{number}", lead=unit, responsible=("渝北区",))
        make_milestone(led, "soon", date(2025, 7, 1), owner_unit=owner)
        make_milestone(led, "late", date(2025, 3, 1), owner_unit=owner)
        make_task(plan, f"{number}.1", parent=led, lead="市经济信息委", responsible=(unit,))


def test_the_unit_page_costs_the_same_queries_for_few_and_for_many_tasks(alice, client_for):
    client = client_for(alice)
    _unit_work("few", 1)
    few = _queries(client, "/units/kjj/")
    _unit_work("many", 20)
    many = _queries(client, "/units/kjj/")
    assert "many" in client.get("/units/kjj/").content.decode()
    assert few == many


def test_the_task_page_costs_the_same_queries_however_many_milestones_and_children(register, alice, client_for):
    client = client_for(alice)
    make_task(register.plan, "1.1.1", parent=register.task_1_1, responsible=("市科技局",))
    before = _queries(client, "/plans/web/tasks/1.1/")
    for number in range(2, 12):
        make_milestone(register.task_1_1, f"x{number}", date(2025, 7, number), status=Milestone.Status.PENDING)
        make_task(register.plan, f"1.1.{number}", parent=register.task_1_1, responsible=("市科技局",))
        make_indicator(register.task_1_1, f"I{number:02}", interim={2024: "11", 2025: "12"})
    assert _queries(client, "/plans/web/tasks/1.1/") == before


def test_a_long_list_of_responsible_units_is_shortened_but_keeps_the_filtered_unit(register, alice, client_for):
    many = ("市发展改革委", "市科技局", "市财政局", "市商务委", "市规划自然资源局", "渝北区")
    make_task(register.plan, "2.3", parent=register.part_2, title="数字化车间", responsible=many)
    client = client_for(alice)
    cell = _units_cell(client.get("/plans/web/").content.decode(), "2.3")
    assert cell.count("<a ") == 4 and "等 6 个单位" in cell
    assert 'href="/units/yubei/"' not in cell
    cell = _units_cell(client.get("/plans/web/", {"unit": "yubei"}).content.decode(), "2.3")
    assert '<a href="/units/yubei/" title="重庆市渝北区" class="is-hit">' in cell


def _units_cell(html: str, code: str) -> str:
    row = html.split(f'data-label="编号">{code}</td>')[1].split("</tr>")[0]
    return row.split('class="col-units"')[1].split("</td>")[0]
