"""Celery entry points of the evaluation app: ids in, one service call."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from evaluation import lights, services
from tasks.errors import Conflict


@shared_task(name="evaluation.compute", acks_late=True)
def evaluation_compute_job(evaluation_id: int) -> dict:
    """Compute the evaluation's draft (idempotent: safe to retry or to run twice). A round that has moved past its
    draft meanwhile (sent to the leaders, published) is left as it is: nothing to do, not a failure."""
    try:
        evaluation = services.evaluation_compute(evaluation_id=evaluation_id)
    except Conflict:
        return {"evaluation": evaluation_id, "status": "unchanged"}
    return {"evaluation": evaluation.pk, "status": evaluation.status, "units": evaluation.units_total}


@shared_task(name="evaluation.compute_sweep")
def evaluation_compute_sweep_job() -> list[int]:
    """Beat, every minute: queue again the evaluations still computing whose job was queued more than
    ``LUOSHI_EVALUATION_STALL_SECONDS`` ago (lost with a broker that was down, or a worker that died). Idempotent.
    Returns their ids."""
    return services.evaluation_compute_resume_stalled(
        now=timezone.now(), stalled_for=timedelta(seconds=settings.EVALUATION_STALL_SECONDS))


@shared_task(name="evaluation.lights_daily", acks_late=True)
def lights_daily_job() -> list[list]:
    """Beat, daily shortly after midnight Asia/Shanghai: store today's task lights of every non-draft plan, and any
    day missed since (at most ``LUOSHI_LIGHTS_CATCH_UP_DAYS`` back). Idempotent. Returns the [plan, day] pairs."""
    computed = lights.lights_store_due(today=timezone.localdate(), catch_up_days=settings.LIGHTS_CATCH_UP_DAYS)
    return [[plan_id, day.isoformat()] for plan_id, day in computed]


@shared_task(name="evaluation.task_lights_refresh", acks_late=True)
def task_lights_refresh_job(plan_id: int, task_ids: list[int] | None, as_of: str) -> int:
    """Recompute the stored lights of these tasks (None: the whole plan) for a day already stored (queued on commit
    of a change of their facts). Idempotent. Returns how many lights were written."""
    return lights.task_lights_refresh(plan_id=plan_id, as_of=date.fromisoformat(as_of), task_ids=task_ids)
