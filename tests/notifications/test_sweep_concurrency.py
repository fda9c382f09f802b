"""Two sweeps (and two delivery stages) at the same moment, on PostgreSQL with real row locks (the harness of
tests/workflow/test_concurrency.py: threads with their own connections, released together, on committed data).
SKIP LOCKED hands each sweep different watches; whatever they race for, each message is written once and each
delivery sent once."""

from __future__ import annotations

from datetime import date

import pytest

from notifications import outbox, services, sweep
from notifications.models import Delivery, Notification, Watch
from tests.factories import make_milestone, make_task
from tests.notifications.conftest import at
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
