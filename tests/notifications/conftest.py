"""Fixtures of the notifications tests: the reporting loop's small world (tests/workflow/conftest.py) and helpers to
run the sweep and read what each person received."""

from __future__ import annotations

from datetime import datetime

from notifications import outbox, sweep
from notifications.models import Notification
from notifications.planner import SHANGHAI
from tests.workflow.conftest import committed_units, fill_and_sign, world  # noqa: F401 - the reporting loop's fixtures


def at(text: str) -> datetime:
    """'2025-09-23 09:00' in Asia/Shanghai."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def tick(now: datetime) -> tuple[sweep.SweepResult, outbox.DeliveryResult]:
    """One beat of the sweep job at ``now``: plan the due watches, then deliver."""
    return sweep.reminders_sweep(now=now), outbox.deliveries_send(now=now)


def received(username: str) -> list[tuple[str, str]]:
    """(kind, slot) of every message the user has, oldest first."""
    return list(Notification.objects.filter(recipient__username=username).order_by("created_at", "pk")
                .values_list("kind", "slot"))


def make_notification(recipient, *, title: str = "【提醒】节点还有 3 天到期：1.1 任务", delivered: bool = True,
                      created_at: datetime | None = None, **fields) -> Notification:
    """A message to ``recipient`` as the sweep writes it, delivered in-app (or still pending)."""
    from django.utils import timezone

    from notifications.models import Delivery

    n = Notification.objects.count() + 1
    values = {"role": "reporter", "kind": "reminder", "level": 0, "slot": f"milestone:T-3:2025-10-{n:02d}",
              "key": f"test:{n}|user:{recipient.pk}", "body": "市经济信息委 · 截止 2025-10-10\n请在截止日期前办理。",
              "url": "/plans/wf/tasks/1.1/", "created_at": created_at or timezone.now(), **fields}
    notification = Notification.objects.create(recipient=recipient, title=title, **values)
    Delivery.objects.create(notification=notification, channel="in_app",
                            status="sent" if delivered else "pending", sent_at=timezone.now() if delivered else None)
    return notification
