"""Writes of the notifications app, apart from the sweep (``notifications.sweep``) and the delivery stage
(``notifications.outbox``): keeping the watches in step with the register, and marking messages read.

Keeping watches in step (``watches_touch_*``): a change to a milestone or a report step *touches* its watch — one
upsert that (re)opens it, makes it due now and forgets what was planned, so the next sweep plans it afresh from the
register (the messages' unique keys keep that from sending anything twice). It runs inside the writing transaction,
from the register's signals (``notifications.apps``): a rolled-back change touches nothing. ``watches_reconcile``
is the safety net for writes that send no signal (the admin, a shell, a plan set active): it watches every open
subject that has no open watch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from notifications import planner, selectors
from notifications.models import Notification, ReminderPolicy, Watch
from notifications.subjects import open_milestones_q, open_reports_q
from tasks.errors import NotFound
from tasks.models import Milestone, Report

_TOUCHED = ["is_open", "next_reminder_at", "planned_until", "touched_at"]


def policy_current() -> planner.Policy:
    """The policy the admin set (``ReminderPolicy``), or the defaults. One query."""
    row = ReminderPolicy.objects.first()
    return row.as_policy() if row is not None else planner.Policy()


def _touch(field: str, ids: Iterable[int], *, now: datetime) -> int:
    ids = sorted(set(ids))
    if not ids:
        return 0
    Watch.objects.bulk_create(
        [Watch(**{f"{field}_id": pk}, is_open=True, next_reminder_at=now, planned_until=None, touched_at=now)
         for pk in ids],
        update_conflicts=True, unique_fields=[field], update_fields=_TOUCHED,
    )
    return len(ids)


def watches_touch_reports(*, report_ids: Iterable[int], now: datetime) -> int:
    """Plan these reports again at the next sweep (watching them if they were not). One statement (split where the
    engine limits parameters: about 250 ids a statement on SQLite).
    Idempotent; called inside the transaction that moved them."""
    return _touch("report", report_ids, now=now)


def watches_touch_milestones(*, plan_id: int, task_ids: Iterable[int] | None, now: datetime) -> int:
    """Plan the milestones of these tasks of a plan (None: all its tasks) again at the next sweep. Two statements
    (the ids, the upsert)."""
    milestones = Milestone.objects.filter(task__plan_id=plan_id)
    if task_ids is not None:
        milestones = milestones.filter(task_id__in=list(task_ids))
    return _touch("milestone", milestones.values_list("pk", flat=True), now=now)


def watches_reconcile(*, now: datetime) -> int:
    """Watch every open milestone and report step that has no open watch (closed ones are opened again and planned
    afresh). Idempotent; returns how many were touched. Four statements when nothing is missing."""
    open_watch = Watch.objects.filter(is_open=True)
    missing_milestones = (Milestone.objects.filter(open_milestones_q())
                          .exclude(Exists(open_watch.filter(milestone_id=OuterRef("pk")))).values_list("pk", flat=True))
    missing_reports = (Report.objects.filter(open_reports_q())
                       .exclude(Exists(open_watch.filter(report_id=OuterRef("pk")))).values_list("pk", flat=True))
    return _touch("milestone", list(missing_milestones), now=now) + _touch("report", list(missing_reports), now=now)


def notification_read(*, actor: AbstractBaseUser, notification_id: int, now: datetime) -> Notification:
    """Mark one of the actor's own notifications read (idempotent: the first reading time stays). Anyone else's, or
    one not delivered in-app: ``NotFound`` (404, never saying which)."""
    mine: QuerySet[Notification] = selectors.notification_list(user=actor)
    if not mine.filter(pk=notification_id).exists():
        raise NotFound
    Notification.objects.filter(pk=notification_id, read_at__isnull=True).update(read_at=now)
    return mine.get(pk=notification_id)


def notifications_read_all(*, actor: AbstractBaseUser, now: datetime) -> int:
    """Mark every unread notification of the actor's read; returns how many. One statement."""
    unread = selectors.notification_list(user=actor).filter(read_at__isnull=True)
    return Notification.objects.filter(pk__in=unread.values("pk")).update(read_at=now)
