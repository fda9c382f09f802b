"""Celery entry points of the reporting loop: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from workflow import services


@shared_task(name="workflow.round_open", acks_late=True)
def round_open_job(round_id: int) -> dict:
    """Start the round's processes (idempotent; safe to retry or to run twice)."""
    round_ = services.round_open_run(round_id=round_id)
    return {"round": round_.pk, "status": round_.status, "opened": round_.tasks_opened}
