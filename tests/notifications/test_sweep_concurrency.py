"""Two sweeps (and two delivery stages) at the same moment, on PostgreSQL with real row locks (the harness of
tests/workflow/test_concurrency.py: threads with their own connections, released together, on committed data).
SKIP LOCKED hands each sweep different watches; whatever they race for, each message is written once and each
delivery sent once."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from notifications import outbox, services, sweep
from notifications.models import Delivery, Notification, Watch
from tasks import services as register
from tasks.models import Milestone, Report
from tests.factories import make_milestone, make_task
from tests.notifications.conftest import at
from tests.support import submit_report
from tests.workflow.conftest import World
from tests.workflow.test_concurrency import at_once, require_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_and_committed_units(request: pytest.FixtureRequest) -> None:
    require_postgresql()
    request.getfixturevalue("committed_units")


def test_two_sweeps_at_once_write_each_message_once_and_two_deliverers_send_each_once(
        transactional_db: None, world: World) -> None:  # fmt: skip
    task = make_task(world.plan, "1.2", parent=world.task.parent)
    for k in range(300):
        make_milestone(task, f"m{k}", date(2025, 9, 30))
    services.watches_reconcile(now=at("2025-10-17 08:00"))
    now = at("2025-10-17 08:30")
    first, second = at_once(lambda: sweep.reminders_sweep(now=now, batch_size=20),
                            lambda: sweep.reminders_sweep(now=now, batch_size=20))
    assert isinstance(first, sweep.SweepResult) and isinstance(second, sweep.SweepResult), (first, second)
    assert first.planned + second.planned == 301 and first.failed == second.failed == 0
    assert first.planned and second.planned  # SKIP LOCKED shared the work out
    # Each milestone, caught up on its 8th working day overdue: the reporter's 催办, the head's and supervisor's 督办.
    assert Notification.objects.count() == first.notified + second.notified == 3 * 301
    assert Delivery.objects.count() == 3 * 301
    assert not Watch.objects.filter(next_reminder_at__lte=now).exists()

    one, two = at_once(lambda: outbox.deliveries_send(now=now, batch_size=50),
                       lambda: outbox.deliveries_send(now=now, batch_size=50))
    assert one.sent + two.sent == 3 * 301, (one, two)
    assert set(Delivery.objects.values_list("status", "attempts").distinct()) == {("sent", 1)}


def _while_a_sweep_holds_the_watches(monkeypatch: pytest.MonkeyPatch, now, change) -> tuple[sweep.SweepResult, float]:
    """Run a sweep at ``now`` and ``change`` at once: the change starts once the sweep's batch holds its watches, and
    the batch goes on half a second later, while the change waits. Returns the sweep's result and how long the
    change took, after checking that neither failed and that the change did wait for the batch."""
    holding, go_on = threading.Event(), threading.Event()
    real = sweep._sweep_batch

    def paused(claimed, **kwargs):  # the batch has claimed (holds) the watches: let the change start, then go on
        holding.set()
        go_on.wait(10)
        return real(claimed, **kwargs)

    monkeypatch.setattr(sweep, "_sweep_batch", paused)

    def changing():
        assert holding.wait(10)
        threading.Timer(0.5, go_on.set).start()
        start = time.monotonic()
        change()
        return time.monotonic() - start

    swept, waited = at_once(lambda: sweep.reminders_sweep(now=now), changing)
    assert isinstance(swept, sweep.SweepResult) and swept.failed == 0, swept  # no deadlock error on either side
    assert isinstance(waited, float), waited
    assert waited >= 0.4  # the change waited for the batch (alone it takes a few hundredths of a second)
    assert swept.notified == Notification.objects.count() > 0
    return swept, waited


def test_a_milestone_moved_while_a_sweep_holds_its_watch_waits_for_the_batch_and_both_succeed(
        transactional_db: None, world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The sweep holds a batch's watches until it commits, and its messages reference their milestones. A supervisor
    moving one of those milestones locks it, then touches its watch (the signal, in the same transaction), so waits
    for the batch; the batch's messages must then be writable while the milestone is locked — they are, because the
    move locks it FOR NO KEY UPDATE. With a plain FOR UPDATE the two deadlock and PostgreSQL kills one."""
    services.watches_reconcile(now=at("2025-10-17 08:00"))
    _while_a_sweep_holds_the_watches(monkeypatch, at("2025-10-17 08:30"), lambda: register.milestone_update(
        actor=world["sam"], milestone=Milestone.objects.get(pk=world.milestone.pk),
        changes={"due_date": date(2025, 10, 31)}, reason="调整：并行测试"))
    assert Milestone.objects.get(pk=world.milestone.pk).due_date == date(2025, 10, 31)


def test_a_part_submitted_while_a_sweep_holds_its_watch_waits_for_the_batch_and_both_succeed(
        transactional_db: None, world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The same for the reporting loop: submitting a part locks it (FOR NO KEY UPDATE) and touches its watch, while
    the sweep writes a message about that part."""
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    services.watches_reconcile(now=at("2025-10-13 08:00"))
    Watch.objects.update(next_reminder_at=at("2025-10-13 08:00"))  # round opening watched them at today's date
    _while_a_sweep_holds_the_watches(monkeypatch, at("2025-10-13 08:30"),
                                     lambda: submit_report(actor=world["fgw-r"], report_id=part.pk))
    assert Report.objects.get(pk=part.pk).status == Report.Status.SUBMITTED
    assert Notification.objects.filter(report=part).exists()  # the batch wrote about the part it held
