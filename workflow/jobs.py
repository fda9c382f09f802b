"""Celery entry points of the reporting loop: ids in, one service call."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from workflow import services


# acks_late + reject_on_worker_lost: a worker that dies mid-job leaves the message to be delivered again (after the
# broker's visibility timeout on Redis); the sweep below does not wait for that, and the job is idempotent.
@shared_task(name="workflow.round_open", acks_late=True, reject_on_worker_lost=True)
def round_open_job(round_id: int) -> dict:
    """Start the round's processes (idempotent; safe to retry or to run twice)."""
    round_ = services.round_open_run(round_id=round_id)
    return {"round": round_.pk, "status": round_.status, "opened": round_.tasks_opened}


@shared_task(name="workflow.round_open_sweep")
def round_open_sweep_job() -> list[int]:
    """Beat, every ``LUOSHI_ROUND_OPEN_SWEEP_SECONDS``: queue again the rounds whose opening stalled for
    ``LUOSHI_ROUND_OPEN_STALL_SECONDS`` (idempotent). Returns their ids."""
    return services.round_open_resume_stalled(
        now=timezone.now(), stalled_for=timedelta(seconds=settings.ROUND_OPEN_STALL_SECONDS)
    )


@shared_task(name="workflow.round_close_sweep")
def round_close_sweep_job() -> list[int]:
    """Beat, hourly: close the open rounds whose due date plus ``LUOSHI_ROUND_CLOSE_GRACE_WORKING_DAYS`` working
    days is past (idempotent). Returns their ids."""
    return services.round_close_due(
        today=timezone.localdate(), grace_working_days=settings.ROUND_CLOSE_GRACE_WORKING_DAYS, now=timezone.now()
    )
