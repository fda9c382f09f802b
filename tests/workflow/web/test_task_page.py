"""The task page's reporting: its reports by round (a chip per part) and the audit trail as a timeline of
every action — who, when, what, why, before → after."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tasks.models import AuditEvent
from tests.support import submit_report
from tests.workflow.conftest import fill_and_sign
from workflow import services

TASK_PAGE = "/plans/wf/tasks/1.1/"


def _section(html: str, marker: str) -> str:
    return html.split(marker)[1].split("</section>")[0]


def _chips(section: str) -> dict[str, str]:
    """Unit (or 汇总报告) → the state chip beside it."""
    rows = re.findall(r'<a (?:class="round-report-task" )?href="/reports/\d+/">([^<]+)</a>\s*'
                      r'<span class="chip chip-(\w+)" data-report="\d+">([^<]+)</span>', section)
    return {name: f"{colour}:{label}" for name, colour, label in rows}


@time_machine.travel("2025-10-08 10:00 +0800")
def test_the_task_page_shows_each_rounds_reports_with_a_state_per_part(world, page_client):
    first = world.open_round("2025-Q2", date(2025, 7, 10))
    fill_and_sign(world, first, "fgw")
    fill_and_sign(world, first, "kjj")
    submit_report(actor=world["jxw-r"], report_id=world.task_report(first).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(first).pk)
    services.report_approve(actor=world["sam"], report_id=world.task_report(first).pk)
    second = world.open_round("2025-Q3")
    submit_report(actor=world["fgw-r"], report_id=world.part(second, "市发展改革委").pk)

    html = page_client("jxw-r").get(TASK_PAGE).content.decode()
    section = _section(html, 'id="reports"')
    assert section.index("2025-Q3") < section.index("2025-Q2"), "newest round first"
    q3, q2 = section.split('id="round-reports-2025-Q2"')
    assert _chips(q3) == {"汇总报告": "grey:待汇总", "市发展改革委": "yellow:待审签", "市科技局": "grey:填报中"}
    assert _chips(q2) == {"汇总报告": "blue:已通过", "市发展改革委": "blue:已通过", "市科技局": "blue:已通过"}


def test_a_responsible_unit_sees_only_its_own_parts_and_an_outsider_no_section(world, page_client, oscar):
    world.open_round()
    section = _section(page_client("kjj-r").get(TASK_PAGE).content.decode(), 'id="reports"')
    assert _chips(section) == {"市科技局": "grey:填报中"}
    outsider = Client()
    outsider.force_login(oscar)
    html = outsider.get(TASK_PAGE).content.decode()
    assert outsider.get(TASK_PAGE).status_code == 200 and 'id="reports"' not in html


@time_machine.travel("2025-10-08 10:00 +0800")
def test_the_timeline_names_each_action_and_shows_the_return_reason(world, page_client):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    services.report_return(actor=world["jxw-r"], report_id=world.part(round_, "市科技局").pk, reason="缺少佐证材料")
    html = page_client("sam").get(TASK_PAGE).content.decode()
    timeline = html.split('class="audit-timeline"')[1].split("</ol>")[0]
    labels = re.findall(r'<strong class="audit-label">([^<]+)</strong>', timeline)
    assert labels == ["牵头单位退回单位报告", "各单位报告已审签，开始汇总", "审签通过", "提交", "审签通过", "提交"]
    returned = timeline.split('data-action="report.return_by_lead"')[1].split("</li>")[0]
    assert '<span class="audit-comment-label">退回理由：</span>缺少佐证材料' in returned
    assert '<span class="chip chip-green">已审签</span>' in returned
    assert '<span class="chip chip-grey">填报中</span>' in returned
    assert f'<span class="audit-actor">{world["jxw-r"].username}</span>' in returned and "市科技局" in returned
    assert re.search(r">2025-10-08 10:00<", returned)


def test_a_moved_milestone_shows_its_dates_before_and_after(world, page_client):
    AuditEvent.objects.create(
        action="milestone.move", object_type="milestone", object_id=str(world.milestone.pk), actor=world["sam"],
        plan=world.plan, task=world.task, before={"due_date": "2025-09-30"}, after={"due_date": "2025-12-31"},
        comment="受原材料影响顺延",
    )
    html = page_client("fgw-r").get(TASK_PAGE).content.decode()
    moved = html.split('data-action="milestone.move"')[1].split("</li>\n")[0]
    assert '<strong class="audit-label">调整节点日期</strong>' in moved
    assert "计划完成日期" in moved and "<s>2025-09-30</s>" in moved and "<strong>2025-12-31</strong>" in moved
    assert "受原材料影响顺延" in moved and "audit-comment-label" not in moved


@time_machine.travel("2025-10-08 10:00 +0800")
def test_after_approval_the_timeline_shows_approval_and_what_it_applied(world, page_client):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw", milestone_claims=[{"milestone": world.milestone.pk,
                                                            "completed_date": "2025-09-28"}])
    fill_and_sign(world, round_, "kjj")
    submit_report(actor=world["jxw-r"], report_id=world.task_report(round_).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(round_).pk)
    services.report_approve(actor=world["sam"], report_id=world.task_report(round_).pk)
    html = page_client("leo").get(TASK_PAGE).content.decode()
    labels = re.findall(r'<strong class="audit-label">([^<]+)</strong>', html)
    # Newest first: what the approval applied follows the approval.
    assert labels[:4] == ["审核结果生效", "审核通过", "牵头单位负责人审签通过", "汇总报告提交审核"]
    applied = html.split('data-action="report.apply"')[1].split("</li>\n")[0]
    assert "完成节点" in applied and world.milestone.code in applied
    assert 'id="milestone-2025"' in html and "已完成" in html.split('id="milestone-2025"')[1].split("</li>")[0]


def test_the_task_page_costs_the_same_queries_for_one_round_and_for_three(world, page_client):
    client = page_client("sam")
    world.open_round("2025-Q1", date(2025, 4, 10))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TASK_PAGE).status_code == 200
        return len(queries)

    one = count()
    world.open_round("2025-Q2", date(2025, 7, 10))
    round_ = world.open_round("2025-Q3", date(2025, 10, 10))
    fill_and_sign(world, round_, "fgw")
    assert count() == one


@dataclass(frozen=True)
class Trail:
    """A round's audit trail on task 1.1, event ids by whose they are."""

    register: set[int]
    round: set[int]
    fgw_part: set[int]
    kjj_part: set[int]
    task_report: set[int]


def _trail(world) -> Trail:
    """市发展改革委 returns its own part inside the unit (with a reason), both units file, the lead unit
    consolidates, the supervisor returns the task report to the lead unit; a supervisor edits the task and a
    round reminder is recorded on it."""
    round_ = world.open_round()
    fgw, kjj = world.part(round_, "市发展改革委"), world.part(round_, "市科技局")
    submit_report(actor=world["fgw-r"], report_id=fgw.pk)
    services.report_return(actor=world["fgw-h"], report_id=fgw.pk, reason="内部口径问题")
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_return(actor=world["sam"], report_id=task_report.pk, reason="汇总口径需统一")
    edit = AuditEvent.objects.create(action="task.update", object_type="plantask", object_id=str(world.task.pk),
                                     actor=world["sam"], plan=world.plan, task=world.task, comment="调整表述")
    remind = AuditEvent.objects.create(action="round.remind", object_type="reportinground", object_id=str(round_.pk),
                                       plan=world.plan, task=world.task, comment="催报提醒")

    def about(report) -> set[int]:
        events = AuditEvent.objects.filter(object_type="report", object_id=str(report.pk))
        return set(events.values_list("pk", flat=True))

    trail = Trail(register={edit.pk}, round={remind.pk}, fgw_part=about(fgw), kjj_part=about(kjj),
                  task_report=about(task_report))
    # The task report: consolidation opened, submitted, signed off by the lead head, returned by the supervisor.
    assert len(trail.fgw_part) == 4 and len(trail.kjj_part) == 2 and len(trail.task_report) == 4
    return trail


# Who reads which events of the task: the register's changes everyone; a report's events whoever may see the
# report; round events the task's units, supervisors and leaders.
READERS = {
    "fgw-r": ("register", "round", "fgw_part"),
    "kjj-r": ("register", "round", "kjj_part"),
    "kjj-h": ("register", "round", "kjj_part"),
    "jxw-r": ("register", "round", "fgw_part", "kjj_part", "task_report"),
    "sam": ("register", "round", "fgw_part", "kjj_part", "task_report"),
    "leo": ("register", "round", "fgw_part", "kjj_part", "task_report"),
    "oscar": ("register",),  # 市财政局: outside the task
}


@pytest.mark.parametrize("name", READERS)
def test_the_page_and_the_history_api_show_each_reader_the_same_events(world, oscar, name):
    trail = _trail(world)
    user = oscar if name == "oscar" else world[name]
    client = Client()
    client.force_login(user)
    expected = set().union(*(getattr(trail, part) for part in READERS[name]))
    html = client.get(TASK_PAGE).content.decode()
    assert {int(pk) for pk in re.findall(r'<li class="audit-item [^"]*" id="event-(\d+)"', html)} == expected
    history = client.get(f"/api/tasks/{world.task.pk}/history/").json()
    assert {event["id"] for event in history["results"]} == expected
    assert [event["id"] for event in history["results"]] == sorted(expected, reverse=True), "newest first"


def test_a_responsible_unit_reads_neither_another_units_return_reason_nor_the_lead_units(world, page_client):
    _trail(world)
    inside = page_client("kjj-r").get(TASK_PAGE).content.decode()
    assert "内部口径问题" not in inside and "汇总口径需统一" not in inside
    assert 'data-action="report.return_in_unit"' not in inside and 'data-action="report.consolidate"' not in inside
    assert "调整表述" in inside and "催报提醒" in inside
    lead = page_client("jxw-r").get(TASK_PAGE).content.decode()
    assert "内部口径问题" in lead and "汇总口径需统一" in lead
    own = page_client("fgw-r").get(TASK_PAGE).content.decode()
    assert "内部口径问题" in own and "汇总口径需统一" not in own


@pytest.mark.parametrize("name", ["kjj-r", "jxw-r", "sam"])
def test_the_task_pages_queries_do_not_grow_with_the_trail(world, page_client, name):
    client = page_client(name)
    world.open_round("2025-Q1", date(2025, 4, 10))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TASK_PAGE).status_code == 200
        return len(queries)

    before = count()
    world.task.refresh_from_db()
    _trail(world)
    assert count() == before
