"""Opening a round through a real Celery worker process (not eager mode), on the real database.

A worker in another process sees only committed rows of a real server database, so these tests need
PostgreSQL (``transactional_db``; the worker connects to the test database by name). Elsewhere they skip
with the reason; under CI=true they fail instead, because CI must never skip them silently.

- Redis (production's broker): the supervisor POSTs /api/rounds/ and the test process publishes for real
  (``task_always_eager`` off) to a queue of its own, so a worker of another test run on the same Redis
  cannot take its message.
- The filesystem broker of ``./run demo`` (no REDIS_URL): the round is opened by a separate process with
  the demo's settings, and a worker started like the demo's consumes the job from the same folder.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rest_framework.test import APIClient
from viewflow.workflow.models import Process
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from tasks.models import Report, ReportingRound
from tests.factories import make_task
from tests.support import dead_broker_url, publishing_to
from tests.workers import (
    ROOT,
    SOLO,
    as_the_beat_does,
    child_env,
    delete_queue,
    redeliver,
    redis_queue,
    require_postgresql,
    start_worker,
    stop,
    wait_until,
)
from tests.workflow.conftest import UNITS, World
from workflow.flows import ReportFlow

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _postgresql_and_committed_units(request: pytest.FixtureRequest) -> None:
    require_postgresql()
    request.getfixturevalue("committed_units")


def round_is_open(round_id: int) -> Callable[[], bool]:
    def done() -> bool:
        round_ = ReportingRound.objects.get(pk=round_id)
        return round_.status == ReportingRound.Status.OPEN and round_.tasks_opened == round_.tasks_total
    return done


def assert_round_opened(round_id: int, tasks: int, parts: int) -> None:
    """Every task has its consolidated report, its parts, and one process whose consolidation step is open."""
    round_ = ReportingRound.objects.get(pk=round_id)
    assert (round_.tasks_total, round_.tasks_opened) == (tasks, tasks)
    task_reports = list(Report.objects.filter(round=round_, kind=Report.Kind.TASK).values_list("pk", flat=True))
    assert len(task_reports) == tasks
    assert sorted(Process.objects.values_list("data__task_report", flat=True)) == sorted(task_reports)
    assert Report.objects.filter(round=round_, kind=Report.Kind.PART, status=Report.Status.DRAFT).count() == parts
    steps = Report.objects.filter(round=round_, kind=Report.Kind.TASK).values_list("flow_task_id", flat=True)
    assert None not in steps
    assert FlowTask.objects.filter(pk__in=steps, flow_task=ReportFlow.consolidate,
                                   status=STATUS.NEW).count() == tasks


def three_tasks(world: World) -> None:
    """Task 1.1 (two responsible units) plus 1.2 (one) and 1.3 (none: the lead unit reports): 4 parts."""
    make_task(world.plan, "1.2", parent=world.task.parent, responsible=(UNITS["kjj"],))
    make_task(world.plan, "1.3", parent=world.task.parent)


def test_a_real_worker_over_redis_opens_the_round_the_supervisor_started(
        transactional_db: None, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_url, queue = redis_queue(monkeypatch)
    three_tasks(world)

    log = tmp_path / "worker.log"
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test", CELERY_TASK_ALWAYS_EAGER="false",
                    REDIS_URL=redis_url)
    worker = start_worker(log, env, *SOLO, "-Q", queue)
    try:
        supervisor = APIClient()
        supervisor.force_login(world["sam"])
        response = supervisor.post("/api/rounds/", {"plan": world.plan.code, "period": "2025-Q3",
                                                    "due_date": "2025-10-10"}, format="json")
        assert response.status_code == 202, response.content
        assert response.data["status"] == ReportingRound.Status.OPENING, "the job must not run in the request"

        wait_until(round_is_open(response.data["id"]), worker=worker)

        assert_round_opened(response.data["id"], tasks=3, parts=4)
        assert "Task workflow.round_open[" in log.read_text(encoding="utf-8", errors="replace")
    except BaseException:
        stop(worker)
        print(log.read_text(encoding="utf-8", errors="replace"))
        raise
    finally:
        stop(worker)
        delete_queue(queue)


def test_the_demo_filesystem_broker_carries_the_round_opening_job_to_a_worker(
        transactional_db: None, world: World, tmp_path: Path) -> None:
    three_tasks(world)
    data_dir = tmp_path / "data"
    # Exactly what ./run demo does: no REDIS_URL, dev settings, the data folder holds the broker.
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.dev", LUOSHI_DATA_DIR=str(data_dir),
                    CELERY_TASK_ALWAYS_EAGER="false")
    log = tmp_path / "worker.log"
    worker = start_worker(log, env, "--concurrency=2", "--pool=threads")
    try:
        # The web process of the demo: a separate process opens the round, the job goes to the folder.
        opener = subprocess.run(
            [sys.executable, "-c", OPEN_ROUND, world["sam"].username, world.plan.code, "2025-Q3", "2025-10-10"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert opener.returncode == 0, opener.stdout + opener.stderr
        status, round_id = opener.stdout.split()[-2:]
        assert status == ReportingRound.Status.OPENING, "the job must not run inside the web process"

        wait_until(round_is_open(int(round_id)), worker=worker)

        assert_round_opened(int(round_id), tasks=3, parts=4)
        assert "Task workflow.round_open[" in log.read_text(encoding="utf-8", errors="replace")
        assert not list((data_dir / "broker" / "out").iterdir()), "the message was consumed"
    except BaseException:
        stop(worker)
        print(log.read_text(encoding="utf-8", errors="replace"))
        raise
    finally:
        stop(worker)


def post_round(world: World) -> dict:
    supervisor = APIClient()
    supervisor.force_login(world["sam"])
    response = supervisor.post("/api/rounds/", {"plan": world.plan.code, "period": "2025-Q3",
                                                "due_date": "2025-10-10"}, format="json")
    assert response.status_code == 202, response.content
    return response.data


def test_a_round_posted_while_redis_is_down_is_finished_by_the_sweep_once_redis_is_back(
        transactional_db: None, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_url, queue = redis_queue(monkeypatch)
    three_tasks(world)
    with publishing_to(dead_broker_url()):  # Redis is down (a port nothing listens on; the shared one is untouched)
        data = post_round(world)
    assert (data["status"], data["tasks_opened"]) == (ReportingRound.Status.OPENING, 0)

    log = tmp_path / "worker.log"
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test", CELERY_TASK_ALWAYS_EAGER="false",
                    REDIS_URL=redis_url, LUOSHI_ROUND_OPEN_STALL_SECONDS="1")
    worker = start_worker(log, env, *SOLO, "-Q", queue)
    try:
        time.sleep(1.5)  # the round's progress has stood still longer than the stall limit
        assert ReportingRound.objects.get(pk=data["id"]).tasks_opened == 0, "nothing was queued while Redis was down"
        as_the_beat_does("workflow.round_open_sweep", queue)

        wait_until(round_is_open(data["id"]), worker=worker)

        assert_round_opened(data["id"], tasks=3, parts=4)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Task workflow.round_open_sweep[" in text and "Task workflow.round_open[" in text
    except BaseException:
        stop(worker)
        print(log.read_text(encoding="utf-8", errors="replace"))
        raise
    finally:
        stop(worker)
        delete_queue(queue)


# A worker whose opening job goes two tasks a chunk and sleeps in each chunk, so it can be killed mid-job. The
# patches are test-only and live here: the worker is the real one, started by Celery's own entry point.
SLOW_WORKER = """
import functools, os, sys, time

import django

django.setup()
from workflow import services
from workflow.services import rounds

services.round_open_run = functools.partial(services.round_open_run, chunk=2)
_open_tasks = rounds.open_tasks


def slow_open_tasks(**kwargs):
    ids = _open_tasks(**kwargs)
    time.sleep(float(os.environ["SLOW_CHUNK_S"]))
    return ids


rounds.open_tasks = slow_open_tasks
from config.celery import app

app.worker_main(sys.argv[1:])
"""


def test_a_worker_killed_mid_opening_is_replaced_and_the_sweep_finishes_the_round_once(
        transactional_db: None, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    redis_url, queue = redis_queue(monkeypatch)
    for n in range(2, 11):
        make_task(world.plan, f"1.{n}", parent=world.task.parent, responsible=(UNITS["kjj"],))
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test", CELERY_TASK_ALWAYS_EAGER="false",
                    REDIS_URL=redis_url, LUOSHI_ROUND_OPEN_STALL_SECONDS="1", SLOW_CHUNK_S="1")
    options = ["--loglevel=INFO", *SOLO, "-Q", queue]
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    with first_log.open("wb") as out:
        first = subprocess.Popen([sys.executable, "-c", SLOW_WORKER, "worker", *options], cwd=ROOT, env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    second = None
    try:
        data = post_round(world)
        wait_until(lambda: ReportingRound.objects.get(pk=data["id"]).tasks_opened >= 2, worker=first)
        first.kill()  # SIGKILL mid-job: its message stays unacknowledged in Redis
        first.wait(timeout=15)
        round_ = ReportingRound.objects.get(pk=data["id"])
        assert round_.status == ReportingRound.Status.OPENING and 2 <= round_.tasks_opened < 10, round_.tasks_opened

        second = start_worker(second_log, env, *options)
        time.sleep(1.5)  # longer than the stall limit since the last chunk
        as_the_beat_does("workflow.round_open_sweep", queue)
        wait_until(round_is_open(data["id"]), worker=second)
        assert_round_opened(data["id"], tasks=10, parts=2 + 9)

        # The killed worker's message comes back when the visibility timeout ends (here: now), late.
        original = re.search(r"Task workflow\.round_open\[([0-9a-f-]+)\] received", first_log.read_text())
        assert original, "the first worker received the job"
        redeliver(original.group(1))
        late = f"Task workflow.round_open[{original.group(1)}] succeeded"
        wait_until(lambda: late in second_log.read_text(encoding="utf-8", errors="replace"), worker=second)
        assert_round_opened(data["id"], tasks=10, parts=2 + 9)
    except BaseException:
        for process, log in ((first, first_log), (second, second_log)):
            if process is not None:
                stop(process)
                print(log.read_text(encoding="utf-8", errors="replace"))
        raise
    finally:
        stop(first)
        if second is not None:
            stop(second)
        delete_queue(queue)


OPEN_ROUND = """
import sys
from datetime import date

import django

django.setup()
from django.contrib.auth.models import User

from tasks.models import Plan
from workflow import services

username, plan, period, due = sys.argv[1:]
round_, _ = services.round_open(actor=User.objects.get(username=username), plan=Plan.objects.get(code=plan),
                                period=period, due_date=date.fromisoformat(due))
print(round_.status, round_.pk)
"""
