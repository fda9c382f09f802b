"""Two people acting on one 督办单, one item or one part at the same moment, on PostgreSQL with real row locks (the
harness of tests/workflow/test_concurrency.py): one wins, the other gets the 409 (``Conflict``), and nothing is
written twice."""

from __future__ import annotations

import pytest
import time_machine

from notifications import services
from notifications.models import ManualChase, Notification, SupervisionNotice, Watch
from notifications.services_notices import notice_issue, notice_receipt, report_chase
from tasks.errors import Conflict
from tasks.models import AuditEvent
from tests.conftest import PERSONAS, make_user
from tests.notifications.conftest import at
from tests.workflow.conftest import World
from tests.workflow.test_concurrency import at_once, require_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_and_committed_units(request: pytest.FixtureRequest) -> None:
    require_postgresql()
    request.getfixturevalue("committed_units")


def _late(world: World):
    with time_machine.travel(at("2025-09-20 09:00"), tick=False):
        round_ = world.open_round()
    services.watches_reconcile(now=at("2025-10-20 10:00"))
    return round_, Watch.objects.get(milestone=world.milestone)


def _one_won(outcomes: list) -> None:
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1, outcomes
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1, outcomes


@time_machine.travel(at("2025-10-20 10:00"), tick=False)
def test_two_supervisors_issuing_at_once_make_one_notice(transactional_db, world: World) -> None:
    _round, watch = _late(world)
    other = make_user("sam2", PERSONAS["sam"])
    _one_won(at_once(lambda: notice_issue(actor=world["sam"], watch_id=watch.pk),
                     lambda: notice_issue(actor=other, watch_id=watch.pk)))
    assert SupervisionNotice.objects.count() == 1
    assert AuditEvent.objects.filter(action="notice_issue").count() == 1
    assert Notification.objects.filter(kind="notice").count() == 2  # alice and carol, once each


@time_machine.travel(at("2025-10-20 10:00"), tick=False)
def test_two_signatures_at_once_sign_once(transactional_db, world: World) -> None:
    _round, watch = _late(world)
    notice = notice_issue(actor=world["sam"], watch_id=watch.pk)
    _one_won(at_once(lambda: notice_receipt(actor=world["jxw-r"], notice_id=notice.pk, version=1),
                     lambda: notice_receipt(actor=world["jxw-h"], notice_id=notice.pk, version=1)))
    notice.refresh_from_db()
    assert (notice.status, notice.version) == ("received", 2)
    assert AuditEvent.objects.filter(action="notice_receipt").count() == 1


@time_machine.travel(at("2025-10-20 10:00"), tick=False)
def test_two_chases_of_one_part_at_once_send_one(transactional_db, world: World) -> None:
    round_, _watch = _late(world)
    task_report, part = world.task_report(round_), world.part(round_, "市发展改革委")
    _one_won(at_once(lambda: report_chase(actor=world["jxw-r"], report_id=task_report.pk, part_id=part.pk),
                     lambda: report_chase(actor=world["sam"], report_id=task_report.pk, part_id=part.pk)))
    assert ManualChase.objects.count() == 1
    assert Notification.objects.filter(kind="chase", report=part).count() == 2  # bob and dave, once each
