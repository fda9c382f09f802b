"""Signals the register sends so that apps above it react without being imported (``tasks`` imports no app above).

``task_facts_changed``: the facts a task's light is computed from changed (a milestone done or moved, an indicator
value approved, a report submitted, a round closed, a task accepted). Sent *inside* the writing transaction by
:func:`facts_changed`; a receiver that does work beyond the transaction (``evaluation`` refreshes today's stored
lights) must defer it with ``transaction.on_commit``, so a rolled-back write changes nothing and the work reads
committed facts.

``report_steps_changed``: reports entered a new step (every status move of the lifecycle, and the reports a round
opens with). Sent inside the writing transaction by :func:`steps_changed`; ``notifications`` re-plans their
reminders in that same transaction (a cheap upsert), so a rolled-back move re-plans nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

# Keyword arguments: plan_id (int), task_ids (tuple[int, ...], or None for every task of the plan).
task_facts_changed = Signal()
# Keyword arguments: report_ids (tuple[int, ...]).
report_steps_changed = Signal()


def facts_changed(*, plan_id: int, task_ids: Iterable[int] | None = None) -> None:
    """Tell the listeners that the light facts of these tasks of a plan (None: all of them) changed."""
    ids = None if task_ids is None else tuple(sorted({task_id for task_id in task_ids if task_id is not None}))
    if ids == ():
        return
    task_facts_changed.send(sender=None, plan_id=plan_id, task_ids=ids)


def steps_changed(*, report_ids: Iterable[int]) -> None:
    """Tell the listeners that these reports entered a new step (or were created in their first one)."""
    ids = tuple(sorted(set(report_ids)))
    if ids:
        report_steps_changed.send(sender=None, report_ids=ids)
