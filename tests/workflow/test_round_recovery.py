"""Opening a round heals itself: a job that was never queued (broker down) or died mid-way is queued again.

Here the broker is "down" by pointing this process's publisher at a port nothing listens on (no shared server is
touched); jobs otherwise run inline (test settings). The same recovery through a real worker, a real Redis and a
SIGKILLed worker is in tests/workflow/test_celery_worker.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import Client, TestCase
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler
from rest_framework.test import APIClient
from viewflow.workflow.models import Process

from config.celery import app as celery_app
from tasks.models import Report, ReportingRound
from tests.factories import make_task
from tests.support import dead_broker_url, publishing_to
from tests.workflow.conftest import UNITS, World
from workflow import services
from workflow.jobs import round_open_job, round_open_sweep_job

OPENING = ReportingRound.Status.OPENING
BODY = {"period": "2025-Q3", "due_date": "2025-10-10"}


def _post_round(world: World) -> tuple[int, dict]:
    client = APIClient()
    client.force_login(world["sam"])
    with TestCase.captureOnCommitCallbacks(execute=True):  # the job is queued when the request commits
        response = client.post("/api/rounds/", {"plan": world.plan.code, **BODY}, format="json")
    return response.status_code, response.data


def _opened_while_the_broker_was_down(world: World) -> ReportingRound:
    with publishing_to(dead_broker_url()):
        status, data = _post_round(world)
    assert status == 202, data
    return ReportingRound.objects.get(pk=data["id"])


def _assert_opened_once(round_: ReportingRound, tasks: int) -> None:
    round_.refresh_from_db()
    assert (round_.status, round_.tasks_opened, round_.tasks_total) == ("open", tasks, tasks)
    task_reports = Report.objects.filter(round=round_, kind=Report.Kind.TASK)
    assert task_reports.count() == tasks
    assert sorted(Process.objects.values_list("data__task_report", flat=True)) == sorted(
        task_reports.values_list("pk", flat=True)
    ), "exactly one process per task report"


def test_a_round_posted_while_the_broker_is_down_is_accepted_and_stays_opening(world: World) -> None:
    with publishing_to(dead_broker_url()):
        status, data = _post_round(world)

    assert status == 202, data
    assert (data["status"], data["tasks_opened"], data["tasks_total"]) == (OPENING, 0, 1)
    assert not Process.objects.exists()


def test_posting_a_stuck_round_again_queues_its_job_again(world: World) -> None:
    round_ = _opened_while_the_broker_was_down(world)

    status, data = _post_round(world)  # the broker is back (jobs run inline again)

    assert status == 202, "still opening when asked: accepted again, not 'already open'"
    assert data["id"] == round_.pk
    _assert_opened_once(round_, tasks=1)
    assert _post_round(world)[0] == 200, "an opened round is only returned"


def test_the_round_page_says_the_opening_is_queued_when_the_broker_is_down(world: World) -> None:
    client = Client()
    client.force_login(world["sam"])
    form = {"plan": world.plan.pk, **BODY}
    with publishing_to(dead_broker_url()), TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/rounds/", form, follow=True)

    assert response.status_code == 200
    round_ = ReportingRound.objects.get(plan=world.plan, period="2025-Q3")
    assert round_.status == OPENING
    assert response.redirect_chain[-1][0] == f"/rounds/{round_.pk}/"
    assert "排队" in "".join(str(message) for message in response.context["messages"])

    with TestCase.captureOnCommitCallbacks(execute=True):  # asked again once the broker is back
        response = client.post("/rounds/", form, follow=True)
    assert "仍在开启中，已重新排队" in "".join(str(message) for message in response.context["messages"])
    _assert_opened_once(round_, tasks=1)


def test_the_sweep_resumes_a_round_whose_progress_stood_still_and_leaves_the_others(world: World) -> None:
    stuck = _opened_while_the_broker_was_down(world)
    busy = ReportingRound.objects.create(
        plan=world.plan,
        period="2025-Q4",
        period_start=date(2025, 10, 1),
        period_end=date(2025, 12, 31),
        due_date=date(2026, 1, 10),
        opened_by=world["sam"],
        tasks_total=1,
    )
    stall = timedelta(seconds=settings.ROUND_OPEN_STALL_SECONDS)
    ReportingRound.objects.filter(pk=stuck.pk).update(open_progress_at=timezone.now() - stall - timedelta(seconds=1))

    resumed = round_open_sweep_job.delay().get()

    assert resumed == [stuck.pk]
    _assert_opened_once(stuck, tasks=1)
    busy.refresh_from_db()
    assert (busy.status, busy.tasks_opened) == (OPENING, 0), "progress moved recently: its job may be running"


def test_a_round_is_queued_again_once_per_stall_even_when_two_sweeps_run_at_once(world: World) -> None:
    round_ = _opened_while_the_broker_was_down(world)
    now = timezone.now() + timedelta(hours=1)
    stall = timedelta(minutes=5)
    with publishing_to(dead_broker_url()):  # the broker is still down: the claim is all that happens
        first = services.round_open_resume_stalled(now=now, stalled_for=stall)
        second = services.round_open_resume_stalled(now=now, stalled_for=stall)
        later = services.round_open_resume_stalled(now=now + stall + timedelta(seconds=1), stalled_for=stall)

    assert (first, second, later) == ([round_.pk], [], [round_.pk])
    round_.refresh_from_db()
    assert round_.status == OPENING


def test_each_chunk_of_the_job_moves_the_rounds_progress_time(world: World) -> None:
    for n in range(2, 6):
        make_task(world.plan, f"1.{n}", parent=world.task.parent, responsible=(UNITS["fgw"],))
    round_ = _opened_while_the_broker_was_down(world)
    before = round_.open_progress_at

    services.round_open_run(round_id=round_.pk, chunk=2)

    round_.refresh_from_db()
    assert round_.open_progress_at > before


def test_a_late_original_job_after_the_resumed_one_changes_nothing(world: World) -> None:
    round_ = _opened_while_the_broker_was_down(world)
    round_open_job.delay(round_.pk).get()  # the resumed job
    reports, processes = Report.objects.count(), Process.objects.count()

    result = round_open_job.delay(round_.pk).get()  # the original, delivered again after the visibility timeout

    assert result == {"round": round_.pk, "status": "open", "opened": 1}
    assert (Report.objects.count(), Process.objects.count()) == (reports, processes)


def test_a_chunk_that_would_open_a_task_twice_is_rolled_back_with_its_processes(world: World) -> None:
    """The backstop under the round's row lock: the unique (round, task, unit, kind) constraint on reports. The
    processes of a chunk are inserted in its transaction, so they go with it."""
    round_ = _opened_while_the_broker_was_down(world)
    services.round_open_run(round_id=round_.pk)
    processes = Process.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        services.open_tasks(round_=round_, tasks=[world.task])

    assert Process.objects.count() == processes
    _assert_opened_once(round_, tasks=1)


def test_the_beat_installs_the_sweep_and_a_worker_knows_it(db: None) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["workflow.round_open_sweep"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == settings.ROUND_OPEN_SWEEP_SECONDS

    # What DatabaseScheduler.setup_schedule does with each entry of the app's schedule when beat starts (the
    # scheduler itself closes the database connection, which a test's transaction does not survive).
    for name, fields in celery_app.conf.beat_schedule.items():
        DatabaseScheduler.Entry.from_entry(name, app=celery_app, **fields)

    task = PeriodicTask.objects.get(name="workflow.round_open_sweep")
    assert (task.task, task.enabled, task.interval.every, task.interval.period) == (
        "workflow.round_open_sweep",
        True,
        settings.ROUND_OPEN_SWEEP_SECONDS,
        "seconds",
    )


def test_the_opening_job_is_acknowledged_when_it_ends_and_redelivered_if_its_worker_dies() -> None:
    assert round_open_job.acks_late and round_open_job.reject_on_worker_lost
