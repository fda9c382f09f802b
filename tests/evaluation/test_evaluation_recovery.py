"""Starting a 赛马比拼 heals itself like opening a round: with the broker down the supervisor's request still succeeds
(the evaluation is saved, computing), and the beat's sweep queues its job again once it has waited long enough —
once, however many sweeps run. The broker is "down" by pointing this process's publisher at a port nothing listens
on; jobs otherwise run inline (test settings)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation import services
from evaluation.jobs import evaluation_compute_sweep_job
from evaluation.models import Evaluation
from tests.support import dead_broker_url, publishing_to

pytestmark = pytest.mark.django_db
STALL = timedelta(seconds=300)


def _start_while_the_broker_is_down(world) -> Evaluation:
    client = APIClient()
    client.force_authenticate(world["sam"])
    with publishing_to(dead_broker_url()), TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/api/evaluations/", {"plan": world.plan.pk, "period": "2025-Q3"}, format="json")
    assert response.status_code == 202, response.content
    return Evaluation.objects.get(pk=response.json()["id"])


@time_machine.travel("2025-10-20 09:00 +0800", tick=False)
def test_an_evaluation_started_while_the_broker_is_down_is_saved_and_resumed_by_the_sweep(world, approved_quarter,
                                                                                           caplog):
    evaluation = _start_while_the_broker_is_down(world)
    assert (evaluation.status, evaluation.units_total) == ("computing", 0)
    assert "could not be queued (broker unavailable)" in caplog.text
    now = timezone.now()
    assert services.evaluation_compute_resume_stalled(now=now + timedelta(seconds=60), stalled_for=STALL) == []
    with publishing_to(dead_broker_url()):  # still down: claimed, logged, left computing
        assert services.evaluation_compute_resume_stalled(now=now + STALL * 2, stalled_for=STALL) == [evaluation.pk]
    evaluation.refresh_from_db()
    assert evaluation.status == "computing" and evaluation.compute_queued_at == now + STALL * 2
    # the broker is back (inline): the next sweep after another stall computes it, and only once
    later = now + STALL * 4
    assert services.evaluation_compute_resume_stalled(now=later, stalled_for=STALL) == [evaluation.pk]
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.units_total) == ("adjusting", 3)
    assert services.evaluation_compute_resume_stalled(now=later + STALL * 2, stalled_for=STALL) == []


@time_machine.travel("2025-10-20 09:00 +0800", tick=False)
def test_the_beat_job_resumes_with_the_configured_stall(world, approved_quarter, settings):
    evaluation = _start_while_the_broker_is_down(world)
    settings.EVALUATION_STALL_SECONDS = 60
    assert evaluation_compute_sweep_job() == []  # queued just now
    with time_machine.travel("2025-10-20 09:02 +0800", tick=False):
        assert evaluation_compute_sweep_job() == [evaluation.pk]
    evaluation.refresh_from_db()
    assert evaluation.status == "adjusting"


def test_two_sweeps_reading_the_same_stalled_evaluation_publish_it_once(world, approved_quarter, monkeypatch):
    with time_machine.travel("2025-10-20 09:00 +0800", tick=False):
        evaluation = _start_while_the_broker_is_down(world)
    queued = []
    monkeypatch.setattr(services, "_enqueue_compute", queued.append)
    seen = Evaluation.objects.get(pk=evaluation.pk).compute_queued_at
    later = seen + STALL * 2
    # the first sweep claims it; the second read the same value before and finds it moved
    assert services.evaluation_compute_resume_stalled(now=later, stalled_for=STALL) == [evaluation.pk]
    assert Evaluation.objects.filter(pk=evaluation.pk, compute_queued_at=seen).update(compute_queued_at=later) == 0
    assert services.evaluation_compute_resume_stalled(now=later, stalled_for=STALL) == []
    assert queued == [evaluation.pk]
