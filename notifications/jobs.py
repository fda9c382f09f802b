"""Celery entry points of the reminders: no arguments, one service call each (the work is in the database)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications import briefing, digests, outbox, services, services_notices, sweep
from tasks.queueing import publish


@shared_task(name="notifications.sweep", acks_late=True)
def reminders_sweep_job() -> dict:
    """Beat, every ``LUOSHI_REMINDER_SWEEP_SECONDS``: plan the due watches and write their messages, tell the late
    督办单 (``services_notices.notices_overdue_sweep``), then send the pending deliveries. When more than a batch is
    due, first start helpers (``reminders_sweep_help_job``, at most ``LUOSHI_REMINDER_SWEEP_HELPERS``) to sweep
    beside it on other workers. Idempotent; two at once do no harm (each batch held by SKIP LOCKED on PostgreSQL, one
    writer at a time on SQLite; unique keys). Returns the counts."""
    now = timezone.now()
    helpers = sweep.helpers_wanted(now=now, most=settings.REMINDER_SWEEP_HELPERS)
    for _helper in range(helpers):
        publish(reminders_sweep_help_job, about="a reminder sweep helper", recovery="this sweep does every batch")
    planned = sweep.reminders_sweep(now=now)
    late_notices = services_notices.notices_overdue_sweep(now=timezone.now())
    sent = outbox.deliveries_send(now=timezone.now())
    return {"planned": planned.planned, "notified": planned.notified, "closed": planned.closed,
            "failed": planned.failed, "sent": sent.sent, "cancelled": sent.cancelled,
            "delivery_failed": sent.failed + sent.permanent, "late_notices": late_notices, "helpers": helpers}


@shared_task(name="notifications.sweep_help", acks_late=True)
def reminders_sweep_help_job() -> dict:
    """Started by the sweep job when more than a batch of watches is due: plans and writes batches beside it (the
    notices and the deliveries stay with the job). Idempotent; late, it finds nothing due or does the next tick's
    work."""
    planned = sweep.reminders_sweep(now=timezone.now())
    return {"planned": planned.planned, "notified": planned.notified, "failed": planned.failed}


@shared_task(name="notifications.watch_reconcile", acks_late=True)
def watches_reconcile_job() -> int:
    """Beat, every ``LUOSHI_REMINDER_RECONCILE_SECONDS``: watch the open milestones and report steps that no signal
    brought in (admin edits, a plan set active). Idempotent. Returns how many it touched."""
    return services.watches_reconcile(now=timezone.now())


@shared_task(name="notifications.digest_daily", acks_late=True)
def digest_daily_job() -> dict:
    """Beat, at 08:30 Asia/Shanghai: write today's digest for everyone who has something in it, then send the
    pending deliveries. Idempotent: one digest per person per day, however often it runs. Returns the counts."""
    written = digests.digests_write(now=timezone.now())
    sent = outbox.deliveries_send(now=timezone.now())
    return {"digests": written, "sent": sent.sent}


@shared_task(name="notifications.briefing_weekly", acks_late=True)
def briefing_weekly_job() -> dict:
    """Beat, on Mondays at 08:30 Asia/Shanghai: write last week's briefing for every leader (when it has something
    in it), then send the pending deliveries. Idempotent: one briefing per leader and week. Returns the counts."""
    written = briefing.briefings_write(now=timezone.now())
    sent = outbox.deliveries_send(now=timezone.now())
    return {"briefings": written, "sent": sent.sent}
