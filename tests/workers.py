"""Real Celery workers for tests: started as processes of their own on the test database, fed through a queue of the
test's own on the real Redis, stopped (or killed) by the test.

A worker in another process sees only committed rows of a server database, so the tests that use these need
PostgreSQL and ``transactional_db`` (``require_postgresql``); the worker connects to the test database by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue
from kombu.exceptions import ChannelError

from config.celery import app as celery_app
from tests.support import require

ROOT = Path(settings.BASE_DIR)
WAIT_TIMEOUT_S = 60
#: The options of every test worker: one task at a time in the worker's own process (so killing its pid kills
#: the task), no chatter with other workers on the same Redis.
SOLO = ("--pool=solo", "--concurrency=1", "--without-gossip", "--without-mingle")


def require_postgresql() -> None:
    require(connection.vendor == "postgresql",
            f"a worker process needs a server database it can share (DATABASE_URL=postgresql://…); "
            f"this run uses {connection.vendor}")


def worker_database_url() -> str:
    """DATABASE_URL with the test database's name, for the processes a test starts."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return parts._replace(path="/" + quote(connection.settings_dict["NAME"])).geturl()


def child_env(**values: str | None) -> dict[str, str]:
    """This process's environment for a child on the test database: REDIS_URL only if given, ``values`` on top."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({"DATABASE_URL": worker_database_url(), "PYTHONUNBUFFERED": "1"})
    env.update({key: value for key, value in values.items() if value is not None})
    return env


def start_worker(log: Path, env: dict[str, str], *options: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", *options]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown, then kill if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_until(done: Callable[[], bool], *, worker: subprocess.Popen, timeout: float = WAIT_TIMEOUT_S) -> float:
    """Poll until ``done``; fail early if the worker died. Returns the seconds waited."""
    start = time.monotonic()
    while not done():
        assert worker.poll() is None, f"the worker exited with {worker.returncode}"
        assert time.monotonic() - start < timeout, f"not done within {timeout} s"
        time.sleep(0.2)
    return time.monotonic() - start


def redis_queue(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The Redis URL (required) and a queue of this test's own, which this process publishes to for real (not inline:
    config/settings/test.py runs jobs inline), so a worker of another test run on the same Redis cannot take its
    messages."""
    redis_url = os.environ.get("REDIS_URL")
    require(bool(redis_url), "needs a Redis broker (REDIS_URL=redis://…)")
    queue = f"luoshi-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    return redis_url, queue


def delete_queue(queue: str) -> None:
    with celery_app.connection_for_write() as conn:
        # Declared here so this channel knows the binding, then deleted with it: no key is left in Redis.
        bound = Queue(queue, Exchange(queue), routing_key=queue)(conn.default_channel)
        bound.declare()
        bound.delete()


def queued(queue: str) -> int:
    """How many messages wait in ``queue`` (not those a worker holds)."""
    with celery_app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue, passive=True).message_count
        except ChannelError:  # Redis keeps no empty list: a queue with nothing in it is "not found"
            return 0


def as_the_beat_does(entry: str, queue: str) -> str:
    """Publish what beat sends for ``entry`` of CELERY_BEAT_SCHEDULE (its task, with its options) to ``queue``.
    Returns the message's task id."""
    schedule = settings.CELERY_BEAT_SCHEDULE[entry]
    return celery_app.send_task(schedule["task"], queue=queue, **schedule.get("options", {})).id


def redeliver(task_id: str) -> None:
    """Put back now the message of ``task_id`` that a killed worker took and never acknowledged (Redis gives it back
    only when the visibility timeout ends). Only that one: a message a live worker is running stays where it is."""
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        with channel.conn_or_acquire() as client:
            for tag, stored in client.hgetall(channel.unacked_key).items():
                message, _exchange, _routing_key = json.loads(stored)
                if message["headers"]["id"] == task_id:
                    channel.qos.restore_by_tag(tag, client)
                    return
    raise AssertionError(f"no unacknowledged message of task {task_id}")
