"""The demo's illustrative history: past quarters carried through the real services on their own dates, with a
spread (on time, late, missing; returns at every level; milestones done before, on and after their dates; values on
a path), marked 示例, safe to re-run; and the evaluations published on top of it. Two quarters (the demo as it
would have stood in June 2024) keep the test short; the full demo runs the same code for twelve."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import F
from rest_framework.test import APIClient

from evaluation.board import light_board
from evaluation.models import Evaluation, UnitResult
from tasks.demo import CHONGQING_PLAN_CODE
from tasks.models import AuditEvent, IndicatorValue, Milestone, Plan, Report, ReportingRound
from workflow.demo_history import LAGGARDS, past_quarters

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_past_quarters_run_from_2023_q4_to_the_last_closed_one():
    assert [p.code for p in past_quarters(date(2024, 1, 18))] == []
    assert [p.code for p in past_quarters(date(2024, 1, 19))] == ["2023-Q4"]  # due 01-10, closed a week later
    assert [p.code for p in past_quarters(date(2026, 12, 2))][-1] == "2026-Q3"
    assert len(past_quarters(date(2026, 12, 2))) == 12


@pytest.fixture
def history(db):
    with time_machine.travel("2024-06-15 09:00 +0800"):
        out = StringIO()
        call_command("load_demo", stdout=out)
        call_command("load_demo_evaluations", stdout=out)
    return out.getvalue()


def test_two_past_quarters_went_through_the_services_with_a_spread(history):
    plan = Plan.objects.get(code=CHONGQING_PLAN_CODE)
    closed = ReportingRound.objects.filter(plan=plan, status="closed").order_by("period_start")
    assert [(r.period, r.illustrative) for r in closed] == [("2023-Q4", True), ("2024-Q1", True)]
    assert ReportingRound.objects.get(plan=plan, status="open").illustrative is False  # the current one is real
    parts = Report.objects.filter(round__in=closed, kind=Report.Kind.PART)
    on_time, late = parts.filter(on_time=True).count(), parts.filter(on_time=False).count()
    missing = parts.filter(submitted_at__isnull=True).count()
    assert on_time > 0.75 * parts.count() and late > 20 and 0 < missing < 0.03 * parts.count(), (on_time, late, missing)
    assert all(r.submitted_at is None or r.submitted_at.date() > r.round.period_end for r in parts[:50])
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"report.return_in_unit", "report.return_by_supervisor", "report.approve", "round.close"} <= actions
    # The laggards' parts, and theirs only, come back from the supervisors one by one (LAGGARDS: the yellow districts).
    returned = AuditEvent.objects.filter(action="report.return_part_by_supervisor").values_list("object_id", flat=True)
    units = set(Report.objects.filter(pk__in=[int(pk) for pk in returned]).values_list("unit__code", flat=True))
    assert units == {code for code, profile in LAGGARDS.items() if profile == "laggard"}, units
    done = Milestone.objects.filter(task__plan=plan, status=Milestone.Status.DONE)
    assert done.filter(completed_date__lt=F("due_date")).exists() and done.filter(completed_date=F("due_date")).exists()
    overdue = Milestone.objects.filter(task__plan=plan, status=Milestone.Status.PENDING, due_date__lt=date(2024, 4, 1))
    assert overdue.exists()  # not every unit delivers: the lights have something to show
    assert IndicatorValue.objects.filter(indicator__plan=plan).count() > 20
    assert "示例" in Report.objects.filter(round__in=closed, status="approved").first().narrative


def test_a_milestone_was_brought_forward_to_just_before_today_so_the_board_has_a_yellow(history):
    """The plan's own dates fall on quarter and year ends: without this, a yellow (1–7 days overdue) would show
    only in a quarter's first week. Both dates lie after the last past round's due date: no result read either.
    The day's board then has green, yellow, orange and red; blue (a task accepted as done) comes with the full
    history — its first tasks are accepted early in 2026, too long a history for a test."""
    moved = Milestone.objects.get(original_due_date__isnull=False)
    assert moved.due_date == date(2024, 6, 12) and moved.original_due_date > date(2024, 6, 15)
    event = AuditEvent.objects.get(action="milestone.move")
    assert (event.comment, event.actor.username) == ("按专班调度要求，节点提前至 2024-06-12 完成（示例）", "supervisor")
    api = APIClient()
    api.force_authenticate(User.objects.get(username="supervisor"))
    light = api.get(f"/api/tasks/{moved.task_id}/light/?as_of=2024-06-15").json()
    assert (light["colour"], light["overdue_days"], light["missed_rounds"]) == ("yellow", 3, 0), light
    board = api.get("/api/tasks/?light=yellow&as_of=2024-06-15").json()
    assert moved.task_id in {row["id"] for row in board["results"]}
    with time_machine.travel("2024-06-15 11:00 +0800"):
        counts = dict(light_board(user=User.objects.get(username="supervisor"), as_of=date(2024, 6, 15)).counts)
    assert all(counts[colour] for colour in ("green", "yellow", "orange", "red")), counts


def test_the_past_quarters_are_published_marked_illustrative_and_a_second_load_adds_nothing(history):
    published = Evaluation.objects.filter(status="published").order_by("period_start")
    assert [(e.period, e.illustrative) for e in published] == [("2023-Q4", True), ("2024-Q1", True)]
    second = UnitResult.objects.filter(evaluation=published[1])
    assert second.filter(score_change__isnull=False).exists()  # compared with the quarter before
    assert len({r.colour for r in second}) >= 3
    _marked_illustrative_on_the_pages_and_in_the_api()
    counts = (Report.objects.count(), Evaluation.objects.count(), AuditEvent.objects.count())
    with time_machine.travel("2024-06-15 10:00 +0800"):
        out = StringIO()
        call_command("load_demo", stdout=out)
        call_command("load_demo_evaluations", stdout=out)
    assert (Report.objects.count(), Evaluation.objects.count()) == counts[:2]
    assert Milestone.objects.filter(original_due_date__isnull=False).count() == 1  # brought forward once
    assert "0 quarters added" in out.getvalue() and "0 published, 2 already there" in out.getvalue()


def _marked_illustrative_on_the_pages_and_in_the_api() -> None:
    from django.test import Client

    supervisor = User.objects.get(username="supervisor")
    api = APIClient()
    api.force_authenticate(supervisor)
    rounds = {row["period"]: row["illustrative"] for row in api.get("/api/rounds/").json()["results"]}
    assert rounds == {"2023-Q4": True, "2024-Q1": True, "2024-Q2": False}
    evaluations = api.get("/api/evaluations/").json()["results"]
    assert {row["illustrative"] for row in evaluations} == {True}
    client = Client()
    client.force_login(supervisor)
    closed = ReportingRound.objects.get(period="2023-Q4")
    assert 'class="badge badge-illustrative"' in client.get(f"/rounds/{closed.pk}/").content.decode()
    current = ReportingRound.objects.get(period="2024-Q2")
    assert 'class="badge badge-illustrative"' not in client.get(f"/rounds/{current.pk}/").content.decode()
    page = client.get(f"/evaluations/{evaluations[0]['id']}/").content.decode()
    assert 'class="badge badge-illustrative"' in page
