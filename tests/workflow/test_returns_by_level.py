"""Returns counted by who made them (issue 8, section 1): by the supervisor (scored: first-pass approval), by the
lead unit, inside the unit (shown, not scored) — per report, per unit and in total, on the round page and in the
round API; backfilled from the audit trail for reports returned before the counters existed."""

from __future__ import annotations

import importlib
import re
from datetime import date

import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from evaluation.rules import DEFAULT_SPEC
from evaluation.snapshot import SUPERVISOR_RETURNS, unit_facts
from tasks.lifecycle import RETURN_LEVELS, ReturnLevel
from tasks.models import AuditEvent, Report, ReportingRound
from tests.factories import make_task
from tests.support import submit_report
from tests.workflow.conftest import World, fill_and_sign
from workflow import selectors, services

LEVELS = ("returned_by_supervisor", "returned_by_lead", "returned_in_unit")


def _counters(report: Report) -> tuple[int, int, int]:
    report.refresh_from_db()
    return report.returns_by_supervisor, report.returns_by_lead, report.returns_in_unit


def _round_with_each_kind_of_return_once(world: World) -> ReportingRound:
    """Task 1.1 (lead 经信委 jxw; parts of 发改委 fgw and 科技局 kjj), taken to approval with one return of each kind:
    kjj's head returns kjj's part (inside the unit); the lead unit returns kjj's part (by the lead unit); the lead
    unit's head returns the consolidation (inside the lead unit); the supervisor returns the task report to the lead
    unit, then fgw's part (both by the supervisor)."""
    round_ = world.open_round()
    kjj, fgw = world.part(round_, "市科技局"), world.part(round_, "市发展改革委")
    task_report = world.task_report(round_)
    submit_report(actor=world["kjj-r"], report_id=kjj.pk)
    services.report_return(actor=world["kjj-h"], report_id=kjj.pk, reason="本单位先核一遍")
    fill_and_sign(world, round_, "kjj")
    fill_and_sign(world, round_, "fgw")
    services.report_return(actor=world["jxw-r"], report_id=kjj.pk, reason="缺少佐证")
    fill_and_sign(world, round_, "kjj")
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_return(actor=world["jxw-h"], report_id=task_report.pk, reason="汇总口径不一")
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_return(actor=world["sam"], report_id=task_report.pk, reason="汇总不完整")
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_return(actor=world["sam"], report_id=task_report.pk, reason="发改委数据有误", part_id=fgw.pk)
    fill_and_sign(world, round_, "fgw")
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    return round_


# Per unit: (by the supervisor, by the lead unit, inside the unit).
PER_UNIT = {"fgw": (1, 0, 0), "kjj": (0, 1, 1), "jxw": (1, 0, 1)}
TOTAL = (2, 1, 2)


@time_machine.travel("2025-10-08 10:00 +0800")
def test_each_return_is_counted_on_the_report_at_its_level(world):
    round_ = _round_with_each_kind_of_return_once(world)
    assert _counters(world.part(round_, "市发展改革委")) == (1, 0, 0)
    assert _counters(world.part(round_, "市科技局")) == (0, 1, 1)
    task_report = world.task_report(round_)
    assert _counters(task_report) == (1, 0, 1)
    # The task report also went back to waiting when fgw's part was returned: that rises times_returned, but the
    # part was returned, not the task report.
    assert task_report.times_returned == 3 and task_report.status == Report.Status.APPROVED
    # Every report's counters add up to its return events in the trail.
    for report in Report.objects.filter(round=round_):
        events = AuditEvent.objects.filter(object_type="report", object_id=str(report.pk), action__in=RETURN_LEVELS)
        assert events.count() == sum(_counters(report)), report


@time_machine.travel("2025-10-08 10:00 +0800")
def test_the_round_api_splits_returns_per_unit_and_in_total(world):
    round_ = _round_with_each_kind_of_return_once(world)
    client = APIClient()
    client.force_login(world["sam"])
    body = client.get(f"/api/rounds/{round_.pk}/").json()
    assert tuple(body["counts"][key] for key in LEVELS) == TOTAL
    rows = {row["unit"]["code"]: row for row in body["units"]}
    assert {code: tuple(row[key] for key in LEVELS) for code, row in rows.items()} == PER_UNIT
    # The old keys keep their meaning: the unit's parts returned at any level; the work still sent back (none).
    assert {code: row["returned"] for code, row in rows.items()} == {"fgw": 1, "kjj": 1, "jxw": 0}
    assert (rows["jxw"]["parts"], body["counts"]["returned"]) == (0, 0)
    # A unit sees the totals, not the rows.
    other = APIClient()
    other.force_login(world["fgw-r"])
    body = other.get(f"/api/rounds/{round_.pk}/").json()
    assert body["units"] is None and tuple(body["counts"][key] for key in LEVELS) == TOTAL


def _figure(html: str, label: str) -> int:
    figures = html.split('class="figures figures-wide"')[1].split("</dl>")[0]
    match = re.search(rf"<dt>{label}</dt><dd>(\d+)<", figures)
    assert match, label
    return int(match.group(1))


def _cells(html: str, code: str) -> tuple[int, ...]:
    row = html.split(f'<tr id="unit-{code}"')[1].split("</tr>")[0]
    return tuple(int(re.search(rf'class="num {css}">(\d+)<', row).group(1))  # type: ignore[union-attr]
                 for css in ("returned-by-supervisor", "returned-by-lead", "returned-in-unit"))


@time_machine.travel("2025-10-08 10:00 +0800")
def test_the_round_page_splits_returns_per_unit_and_in_total(world):
    round_ = _round_with_each_kind_of_return_once(world)
    client = Client()
    client.force_login(world["sam"])
    html = client.get(f"/rounds/{round_.pk}/").content.decode()
    assert tuple(_figure(html, label) for label in ("督查退回", "牵头单位退回", "单位内退回")) == TOTAL
    assert {code: _cells(html, code) for code in PER_UNIT} == PER_UNIT
    rows = re.findall(r'<tr id="unit-(\w+)"', client.get(f"/rounds/{round_.pk}/?sort=returned_by_lead").content
                      .decode())
    assert rows[0] == "kjj"


@time_machine.travel("2025-10-08 10:00 +0800")
def test_scoring_first_pass_still_counts_only_the_supervisors_returns(world):
    """kjj's part was returned twice (inside the unit, by the lead unit) and is still a first pass; fgw's part and
    the lead unit's task report, each returned once by the supervisor, are not — the same reports the round counts
    as returned by the supervisor."""
    round_ = _round_with_each_kind_of_return_once(world)
    facts = unit_facts(plan_id=world.plan.pk, period_start=round_.period_start, period_end=round_.period_end,
                       as_of=date(2025, 10, 20), lights={}, spec=DEFAULT_SPEC)
    rows = {row["unit"].code: row for row in selectors.round_units(round_)}
    process = {code: facts[row["unit"].pk].process for code, row in rows.items()}
    assert {code: (p.reviewed, p.first_pass) for code, p in process.items()} == {
        "fgw": (1, 0), "kjj": (1, 1), "jxw": (1, 0)}
    assert {code: p.reviewed - p.first_pass for code, p in process.items()} == {
        code: row["returned_by_supervisor"] for code, row in rows.items()}


def test_scoring_and_the_round_counts_name_the_same_supervisor_returns():
    assert set(SUPERVISOR_RETURNS) == {action for action, level in RETURN_LEVELS.items()
                                       if level == ReturnLevel.SUPERVISOR}


# --- cost ------------------------------------------------------------------------------------------------------


def _api_queries(client: APIClient, round_: ReportingRound) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/rounds/{round_.pk}/").status_code == 200
    return len(queries)


@time_machine.travel("2025-10-12 10:00 +0800")
def test_the_counts_cost_one_query_each_whatever_the_rounds_size(world, django_assert_num_queries):
    small = world.open_round()
    kjj = world.part(small, "市科技局")
    submit_report(actor=world["kjj-r"], report_id=kjj.pk)
    services.report_return(actor=world["kjj-h"], report_id=kjj.pk, reason="补充")
    client = APIClient()
    client.force_login(world["sam"])
    few = _api_queries(client, small)
    districts = ("江北区", "沙坪坝区", "九龙坡区", "南岸区", "北碚区", "巴南区", "大渡口区", "渝中区")
    make_task(world.plan, "1.2", parent=world.task.parent, responsible=districts)
    large = world.open_round("2025-Q4", date(2026, 1, 10))
    for part in Report.objects.filter(round=large, kind=Report.Kind.PART):
        Report.objects.filter(pk=part.pk).update(returns_by_supervisor=1, returns_by_lead=2, returns_in_unit=3)
    with django_assert_num_queries(1):
        counts = selectors.round_counts(large)
    with django_assert_num_queries(1):
        rows = selectors.round_units(large)
    parts = Report.objects.filter(round=large, kind=Report.Kind.PART).count()
    assert (counts.returned_by_supervisor, counts.returned_by_lead, counts.returned_in_unit) == (parts,) * 3
    assert len(rows) == 11 and sum(row["returned_by_lead"] for row in rows) == parts
    assert _api_queries(client, large) == few


# --- backfill --------------------------------------------------------------------------------------------------


def test_the_migration_counts_past_returns_from_the_audit_trail(world):
    """Reports returned before the counters existed get them from their audit events; a legacy "report.return"
    (before returns were named by level) was a supervisor's: it counts when the task report itself went back to
    consolidation (when one of its parts was returned, the part has its own event)."""
    backfill = importlib.import_module("tasks.migrations.0010_report_returns_by_level").backfill
    round_ = world.open_round()
    fgw, kjj = world.part(round_, "市发展改革委"), world.part(round_, "市科技局")
    task_report = world.task_report(round_)

    def event(report: Report, action: str, status: str = "draft") -> None:
        AuditEvent.objects.create(action=action, object_type="report", object_id=str(report.pk),
                                  after={"status": status})

    for action in ("report.return_in_unit", "report.return_in_unit", "report.return_part_by_supervisor"):
        event(fgw, action)
    event(kjj, "report.return_by_lead")
    event(kjj, "report.submit", "submitted")  # not a return
    for action, status in (("report.return_by_lead_head", "consolidating"), ("report.return", "consolidating"),
                           ("report.return", "waiting"), ("report.return_by_supervisor", "consolidating")):
        event(task_report, action, status)
    backfill(apps, None)
    assert _counters(fgw) == (1, 0, 2)
    assert _counters(kjj) == (0, 1, 0)
    assert _counters(task_report) == (2, 0, 1)
