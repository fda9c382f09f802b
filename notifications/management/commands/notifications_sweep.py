"""``manage.py notifications_sweep``: watch what is open, write the messages due now and deliver them, once.

What the beat does every minute (``notifications.sweep``) plus the safety net it runs every quarter of an hour
(``notifications.watch_reconcile``) and, from 08:30 Asia/Shanghai on, today's digest (``notifications.digest_daily``),
by hand: after a restore, or at the start of the demo so that its messages are there before the first tick.
Idempotent (one digest per person per day).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import digests, outbox, services, sweep
from notifications.planner import SHANGHAI

DIGEST_AT = time(8, 30)  # as the beat's crontab (config/settings/base.py)


class Command(BaseCommand):
    help = "Watch open milestones and report steps, write the reminders due now and deliver them (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        touched = services.watches_reconcile(now=timezone.now())
        planned = sweep.reminders_sweep(now=timezone.now())
        digested = 0
        if timezone.now().astimezone(SHANGHAI).time() >= DIGEST_AT:
            digested = digests.digests_write(now=timezone.now())
        sent = outbox.deliveries_send(now=timezone.now())
        self.stdout.write(
            f"watched {touched} new item(s); planned {planned.planned}, {planned.notified} new message(s), "
            f"{planned.closed} closed, {planned.failed} failed; {digested} digest(s); delivered {sent.sent}, "
            f"cancelled {sent.cancelled}"
        )
