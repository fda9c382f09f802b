"""Reminders delivered exactly once by real Celery workers (not eager mode) over the real Redis, on the real
PostgreSQL test database, to a webhook receiver that the test runs on 127.0.0.1.

**What "exactly once" means here.** Inside the database it is literal: one ``Notification`` per (recipient, key), one
``Delivery`` per message and channel, each recorded ``sent`` once. Over HTTP nobody can promise it — a sender that
dies after the receiver acted and before the answer came back cannot know the request arrived — so the webhook is
*at least once* with an ``Idempotency-Key`` (the delivery's id) that stays the same on every attempt: a receiver
that applies each key once applies each reminder exactly once. The tests prove both halves: the retry after a
SIGKILL carries the same key, and the deduplicating receiver applied each key exactly once.

The reminders are made due by the data, not by a clock faked in the worker: a milestone (or a round) due in two
days has had its T-3 reminder since 08:30 yesterday (Asia/Shanghai), one due in five days its T-7 since the day
before, whatever the hour the tests run.

Like tests/workflow/test_celery_worker.py, these need PostgreSQL and Redis: elsewhere they skip with the reason,
under CI=true they fail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from notifications import services
from notifications.models import Delivery, Endpoint, Notification, Preference, Watch
from notifications.planner import SHANGHAI
from tests.factories import make_milestone
from tests.support import dead_broker_url, publishing_to, valid_report
from tests.workers import (
    SOLO,
    as_the_beat_does,
    child_env,
    delete_queue,
    queued,
    redeliver,
    redis_queue,
    require_postgresql,
    start_worker,
    stop,
    wait_until,
)
from tests.workflow.conftest import World

pytestmark = pytest.mark.slow

SECRET = "receiver-secret"
#: The workers' lease on a claimed delivery, and the channels' timeouts it must exceed twice over (the settings
#: refuse less): short, so the restarted worker need not wait 10 minutes for the killed one's claim to end.
WORKER_TIMINGS = {"LUOSHI_DELIVERY_LEASE_SECONDS": "5", "LUOSHI_WEBHOOK_TIMEOUT_SECONDS": "2",
                  "LUOSHI_EMAIL_TIMEOUT_SECONDS": "2"}


@pytest.fixture(autouse=True)
def _postgresql_and_committed_units(request: pytest.FixtureRequest) -> None:
    require_postgresql()
    request.getfixturevalue("committed_units")


# --- the receiver -------------------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """A generic-webhook receiver as docs/notifications.md tells one to be: it checks the signature, and applies each
    Idempotency-Key once (a repeat is answered 200 and changes nothing). It applies a request as soon as it reads
    it, before answering — so a sender that dies meanwhile leaves it applied, the case the key exists for.

    With ``hold`` = n the n-th request is held unanswered (the sender waits inside ``channel.send``) until
    ``release`` is set; ``arrived`` is set when it came."""

    hold: int = 0
    url: str = ""
    keys: list[str] = field(default_factory=list)  # the Idempotency-Key of every request, in order
    applied: dict[str, dict] = field(default_factory=dict)  # key: the payload applied for it (once)
    forged: int = 0  # requests whose signature did not check out
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, timestamp: str, signature: str, body: bytes) -> bool:
        """Record and apply one request; True if it is the one to hold."""
        expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        with self.lock:
            self.keys.append(key)
            if not hmac.compare_digest(expected, signature):
                self.forged += 1
            self.applied.setdefault(key, json.loads(body))
            return len(self.keys) == self.hold


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    servers: list[tuple[ThreadingHTTPServer, Receiver]] = []

    def make(*, hold: int = 0) -> Receiver:
        receiver = Receiver(hold=hold)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                held = receiver.take(self.headers.get("Idempotency-Key", ""),
                                     self.headers.get("X-Luoshi-Timestamp", ""),
                                     self.headers.get("X-Luoshi-Signature", ""), body)
                if held:
                    receiver.arrived.set()
                    receiver.release.wait(timeout=60)
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the held sender was killed: nobody reads the answer
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        servers.append((server, receiver))
        return receiver

    yield make
    for server, receiver in servers:
        receiver.release.set()
        server.shutdown()
        server.server_close()


def webhook_for(user, url: str, kind: str = "reminder") -> None:
    """``user`` has an enabled generic webhook at ``url`` that carries ``kind`` at once."""
    Endpoint.objects.create(user=user, channel="webhook", address=url, secret=SECRET)
    Preference.objects.create(user=user, kind=kind, channel="webhook", immediate=True)


def shanghai_today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def deliveries(**filters) -> set[tuple[str, str, int]]:
    return set(Delivery.objects.filter(**filters).values_list("channel", "status", "attempts"))


def outcomes() -> dict[str, tuple[str, int]]:
    """Each delivery's status and attempts, by its idempotency key (its id) with the channel: ``"in_app 12"``."""
    return {f"{channel} {pk}": (status, attempts) for pk, channel, status, attempts in
            Delivery.objects.values_list("pk", "channel", "status", "attempts")}


def worker_env(redis_url: str) -> dict[str, str]:
    return child_env(DJANGO_SETTINGS_MODULE="config.settings.test", CELERY_TASK_ALWAYS_EAGER="false",
                     REDIS_URL=redis_url, **WORKER_TIMINGS)


def logged(log: Path, text: str) -> bool:
    return text in log.read_text(encoding="utf-8", errors="replace")


def dump(*logs: Path) -> None:
    for log in logs:
        if log.exists():
            print(f"--- {log.name}\n{log.read_text(encoding='utf-8', errors='replace')}")


# --- a worker killed inside channel.send ------------------------------------------------------------------------


def test_a_worker_killed_inside_a_webhook_send_is_replaced_and_each_reminder_is_applied_exactly_once(
        transactional_db: None, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        receiver_factory) -> None:
    """alice has two reminders due, each in-app and by webhook. The receiver answers the first webhook and holds the
    second: SIGKILL while it is held (the worker is provably inside ``channel.send``, after the receiver applied it;
    the first webhook is recorded, the in-app ones are not: they are written at the end of the batch). The claim's
    lease ends, a new worker runs the sweep job as beat would: the first webhook is not sent again, the second is,
    with the same Idempotency-Key, and the receiver applies it no second time; the database holds two messages and
    one delivery per message and channel, sent. The killed worker's unacknowledged job, redelivered late, changes
    nothing."""
    redis_url, queue = redis_queue(monkeypatch)
    started = time.monotonic()
    alice = world["jxw-r"]  # the reporter of the lead unit: the milestones' actor
    receiver = receiver_factory(hold=2)
    webhook_for(alice, receiver.url)
    today = shanghai_today()
    make_milestone(world.task, "交付", today + timedelta(days=2))  # T-3 since yesterday
    make_milestone(world.task, "验收", today + timedelta(days=5))  # T-7 since the day before
    services.watches_reconcile(now=timezone.now())  # the world's own milestone is long past: nothing is sent for it

    env = worker_env(redis_url)
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    first = start_worker(first_log, env, *SOLO, "-Q", queue)
    second = None
    try:
        killed_job = as_the_beat_does("notifications.sweep", queue)
        wait_until(receiver.arrived.is_set, worker=first)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=15)
        receiver.release.set()

        assert sorted(Notification.objects.values_list("recipient__username", "kind", "slot")) == [
            ("alice", "reminder", f"milestone:T-3:{today + timedelta(days=2)}"),
            ("alice", "reminder", f"milestone:T-7:{today + timedelta(days=5)}")]
        done, held = receiver.keys
        in_app = [f"in_app {pk}" for pk in Delivery.objects.filter(channel="in_app").values_list("pk", flat=True)]
        # Killed inside the second send: the first webhook was recorded as soon as it returned, nothing else was.
        assert outcomes() == {f"webhook {done}": ("sent", 1), f"webhook {held}": ("pending", 1),
                              **{key: ("pending", 1) for key in in_app}}

        second = start_worker(second_log, env, *SOLO, "-Q", queue)
        lease_ends = Delivery.objects.get(pk=held).next_attempt_at
        time.sleep(max(0.0, (lease_ends - timezone.now()).total_seconds()) + 0.2)
        as_the_beat_does("notifications.sweep", queue)
        wait_until(lambda: deliveries() == {("in_app", "sent", 2), ("webhook", "sent", 1), ("webhook", "sent", 2)},
                   worker=second)

        # The killed worker's job comes back when the visibility timeout ends (here: now), late; it finds nothing.
        redeliver(killed_job)
        wait_until(lambda: logged(second_log, f"Task notifications.sweep[{killed_job}] succeeded"), worker=second)

        assert Notification.objects.count() == 2 and queued(queue) == 0
        assert outcomes() == {f"webhook {done}": ("sent", 1), f"webhook {held}": ("sent", 2),
                              **{key: ("sent", 2) for key in in_app}}
        assert receiver.keys == [done, held, held], "the retry carried the same Idempotency-Key; the first, none"
        assert sorted(receiver.applied) == sorted([done, held]), "the deduplicating receiver applied each once"
        assert receiver.applied[held]["idempotency_key"] == held and receiver.forged == 0
        client = APIClient()
        client.force_login(alice)
        assert sorted(row["id"] for row in client.get("/api/notifications/").json()["results"]) == sorted(
            Notification.objects.values_list("pk", flat=True))
    except BaseException:
        dump(first_log, second_log)
        raise
    finally:
        stop(first)
        if second is not None:
            stop(second)
        delete_queue(queue)
        print(f"killed mid-send and delivered once in {time.monotonic() - started:.1f} s")


# --- Redis down, then back -------------------------------------------------------------------------------------


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def test_with_redis_down_a_report_is_submitted_and_the_pages_answer_and_its_reminder_goes_out_once_redis_is_back(
        transactional_db: None, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        receiver_factory) -> None:
    """The broker is down (a port nothing listens on): fgw's reporter submits its part through the API and the pages
    answer; the submit touches the part's watch in its own transaction (a signal, no broker). No worker has run, so
    nobody is reminded yet. Redis back, a worker runs the sweep job as beat would: the head of fgw, whose sign-off the
    part now waits for, gets its T-3 reminder — once in-app and once by webhook, however often the sweep runs."""
    due = shanghai_today() + timedelta(days=2)
    round_ = world.open_round(period=quarter(shanghai_today()), due=due)  # inline, before publishing for real
    redis_url, queue = redis_queue(monkeypatch)
    started = time.monotonic()
    part = world.part(round_, "市发展改革委")
    receiver = receiver_factory()
    dave = world["fgw-h"]
    webhook_for(dave, receiver.url)
    reporter, head = APIClient(), APIClient()
    reporter.force_login(world["fgw-r"])
    head.force_login(dave)

    with publishing_to(dead_broker_url()):  # Redis is down (the shared one is untouched)
        submitted_at = timezone.now()
        response = reporter.post(f"/api/reports/{part.pk}/submit/", valid_report(), format="json")
        assert response.status_code == 200, response.content
        assert (response.json()["status"], response.json()["step"]) == ("submitted", "sign_off")
        for client, page in ((head, "/inbox/"), (head, "/api/inbox/"), (head, "/notifications/"),
                             (head, "/api/notifications/"), (reporter, f"/reports/{part.pk}/")):
            assert client.get(page).status_code == 200, page
        assert [row["id"] for row in head.get("/api/inbox/").json()["results"]] == [part.pk]
    watch = Watch.objects.get(report=part)
    assert watch.is_open and watch.planned_until is None
    assert submitted_at <= watch.touched_at == watch.next_reminder_at <= timezone.now()
    assert not Notification.objects.exists(), "no sweep has run"

    log = tmp_path / "worker.log"
    worker = start_worker(log, worker_env(redis_url), *SOLO, "-Q", queue)
    try:
        as_the_beat_does("notifications.sweep", queue)
        wait_until(lambda: deliveries(notification__recipient=dave) == {("in_app", "sent", 1),
                                                                        ("webhook", "sent", 1)}, worker=worker)
        again = as_the_beat_does("notifications.sweep", queue)
        wait_until(lambda: logged(log, f"Task notifications.sweep[{again}] succeeded"), worker=worker)

        sign_off = f"sign_off:T-3:{due}"
        assert list(Notification.objects.filter(recipient=dave).values_list("kind", "slot")) == [
            ("reminder", sign_off)]
        assert deliveries(notification__recipient=dave) == {("in_app", "sent", 1), ("webhook", "sent", 1)}
        webhook = Delivery.objects.get(notification__recipient=dave, channel="webhook")
        assert receiver.keys == [str(webhook.pk)] and receiver.forged == 0
        assert [row["title"] for row in head.get("/api/notifications/").json()["results"]] == [
            webhook.notification.title]
        # The rest of what fell due: the part still to fill reminds kjj's reporter; nobody else is due.
        assert sorted(Notification.objects.values_list("recipient__username", "slot")) == [
            ("dave", sign_off), ("erin", f"fill:T-3:{due}")]
        assert not Delivery.objects.exclude(status="sent").exists() and queued(queue) == 0
    except BaseException:
        dump(log)
        raise
    finally:
        stop(worker)
        delete_queue(queue)
        print(f"Redis down, then caught up in {time.monotonic() - started:.1f} s")
