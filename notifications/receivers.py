"""Receivers of the register's signals (connected in ``NotificationsConfig.ready``): each touches the watches of what
changed, in the sender's transaction (``notifications.services``), so the next sweep plans them afresh."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from notifications import services


def on_task_facts_changed(sender: Any, *, plan_id: int, task_ids: tuple[int, ...] | None, **kwargs: Any) -> None:
    """A milestone was done or moved (or another fact of these tasks changed): re-plan their milestones."""
    services.watches_touch_milestones(plan_id=plan_id, task_ids=task_ids, now=timezone.now())


def on_report_steps_changed(sender: Any, *, report_ids: tuple[int, ...], **kwargs: Any) -> None:
    """Reports entered a new step: re-plan them (and watch the ones a round just opened)."""
    services.watches_touch_reports(report_ids=report_ids, now=timezone.now())
