"""Celery entry points of the evaluation app: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from evaluation import services


@shared_task(name="evaluation.compute", acks_late=True)
def evaluation_compute_job(evaluation_id: int) -> dict:
    """Compute the evaluation's draft (idempotent: safe to retry or to run twice)."""
    evaluation = services.evaluation_compute(evaluation_id=evaluation_id)
    return {"evaluation": evaluation.pk, "status": evaluation.status, "units": evaluation.units_total}
