"""``manage.py notifications_sweep``: watch what is open, write the messages due now and deliver them, once.

What the beat does every minute (``notifications.sweep``) plus the safety net it runs every quarter of an hour
(``notifications.watch_reconcile``), by hand: after a restore, or at the start of the demo so that its messages are
there before the first tick. Idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import outbox, services, sweep


class Command(BaseCommand):
    help = "Watch open milestones and report steps, write the reminders due now and deliver them (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        touched = services.watches_reconcile(now=timezone.now())
        planned = sweep.reminders_sweep(now=timezone.now())
        sent = outbox.deliveries_send(now=timezone.now())
        self.stdout.write(
            f"watched {touched} new item(s); planned {planned.planned}, {planned.notified} new message(s), "
            f"{planned.closed} closed, {planned.failed} failed; delivered {sent.sent}, cancelled {sent.cancelled}"
        )
