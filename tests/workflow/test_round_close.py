"""Closing a round: by a supervisor or by the hourly sweep once due plus the grace in working days; it records
who had not submitted (``missing_at_close``), freezes nothing in flight, and a second close is a 409."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from evaluation.snapshot import task_facts
from tasks.errors import Conflict
from tasks.models import AuditEvent, Report, ReportingRound
from tests.support import submit_report
from tests.workflow.conftest import fill_and_sign
from workflow import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 10, 20, 9, tzinfo=SHANGHAI)


def test_a_supervisor_closes_a_round_and_the_unsubmitted_are_recorded_missing(world):
    with time_machine.travel("2025-10-08 10:00 +0800"):
        round_ = world.open_round()  # due 2025-10-10
        fill_and_sign(world, round_, "fgw")
    services.round_close(actor=world["sam"], round_id=round_.pk, now=NOW)
    round_.refresh_from_db()
    assert (round_.status, round_.closed_by, round_.closed_at) == ("closed", world["sam"], NOW)
    facts = dict(Report.objects.filter(round=round_).values_list("unit__short_name", "missing_at_close"))
    # fgw submitted; kjj did not; the lead unit's task report (still waiting for kjj) was not submitted either
    assert facts == {"市发展改革委": False, "市科技局": True, "市经济信息委": True}
    event = AuditEvent.objects.get(action="round.close")
    assert (event.actor, event.after) == (world["sam"], {"status": "closed", "missing": 2})
    with pytest.raises(Conflict):
        services.round_close(actor=world["sam"], round_id=round_.pk, now=NOW)


def test_closing_freezes_nothing_in_flight_and_a_late_part_stays_late_and_missing_at_close(world):
    with time_machine.travel("2025-10-08 10:00 +0800"):
        round_ = world.open_round()
        fill_and_sign(world, round_, "fgw")
    services.round_close(actor=world["sam"], round_id=round_.pk, now=NOW)
    with time_machine.travel("2025-10-21 10:00 +0800"):
        part = world.part(round_, "市科技局")
        submit_report(actor=world["kjj-r"], report_id=part.pk)
    part.refresh_from_db()
    assert (part.status, part.on_time, part.missing_at_close) == ("submitted", False, True)
    # the task light counts the round as missed for a task whose report was missing when it closed
    facts = task_facts(plan_id=world.plan.pk, as_of=date(2025, 11, 1))[world.task.pk]
    assert facts.missed_periods == ("2025-Q3",)


def test_only_supervisors_close_and_an_opening_round_cannot(world):
    round_ = world.open_round()
    with pytest.raises(PermissionDenied):
        services.round_close(actor=world["jxw-h"], round_id=round_.pk, now=NOW)
    ReportingRound.objects.filter(pk=round_.pk).update(status=ReportingRound.Status.OPENING)
    with pytest.raises(Conflict):
        services.round_close(actor=world["sam"], round_id=round_.pk, now=NOW)


@pytest.mark.parametrize(
    ("grace", "today", "closes"),
    [
        (0, date(2025, 9, 30), False),  # due today
        (0, date(2025, 10, 1), True),
        (2, date(2025, 10, 10), False),  # due + 2 working days over National Day: 9 and 10 October
        (2, date(2025, 10, 11), True),
    ],
)
def test_the_sweep_closes_rounds_past_their_due_date_and_grace_in_working_days(world, grace, today, closes):
    round_ = world.open_round("2025-Q3", date(2025, 9, 30))
    closed = services.round_close_due(today=today, grace_working_days=grace, now=NOW)
    assert closed == ([round_.pk] if closes else [])
    round_.refresh_from_db()
    assert (round_.status == "closed", round_.closed_by) == (closes, None)
    assert services.round_close_due(today=today, grace_working_days=grace, now=NOW) == []


def test_the_api_closes_for_supervisors_and_answers_the_round(world):
    round_ = world.open_round()
    client = APIClient()
    client.force_authenticate(world["sam"])
    response = client.post(f"/api/rounds/{round_.pk}/close/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed" and response.json()["closed_at"]
    assert client.post(f"/api/rounds/{round_.pk}/close/", {}, format="json").status_code == 409


def test_the_round_page_closes_for_supervisors_only(world):
    from django.test import Client

    round_ = world.open_round()
    sam, leo = Client(), Client()
    sam.force_login(world["sam"])
    leo.force_login(world["leo"])
    page = leo.get(f"/rounds/{round_.pk}/").content.decode()
    assert 'id="round-close"' not in page
    assert leo.post(f"/rounds/{round_.pk}/close/").status_code == 403
    assert 'id="round-close"' in sam.get(f"/rounds/{round_.pk}/").content.decode()
    response = sam.post(f"/rounds/{round_.pk}/close/", follow=True)
    html = response.content.decode()
    assert "报送轮次已结束：3 份报告结束时未报送" in html and 'id="round-close"' not in html
    assert "sam 于" in html and " 结束" in html
    assert sam.get(f"/rounds/{round_.pk}/close/").status_code == 405
