"""The delivery stage: send the pending deliveries the sweep wrote, each on its channel, outside any transaction.

Contract (``deliveries_send``):

- **Claim.** Due deliveries (pending, or failed and due for a retry) are claimed like the watches: ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, then a conditional UPDATE that counts the attempt and pushes them out by a lease — a worker
  that dies mid-send leaves them to be tried again, with the same id as the idempotency key.
- **Check again.** Before sending, each message must still stand: its recipient active, its subject still open and
  still at the step the message is about, and the recipient still holding the role it was sent for. Otherwise the
  delivery is cancelled (``cancelled``), not sent.
- **Send and record.** ``channel.send`` runs outside any transaction; the outcome is written after: ``sent``; a
  ``ChannelError(permanent=True)``, an unknown channel or ``MAX_ATTEMPTS`` failures: ``permanent``; any other
  error: ``failed``, retried after a backoff that doubles per attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F

from notifications import channels, subjects
from notifications.channels import ChannelError
from notifications.models import Delivery
from notifications.planner import Role
from units.models import Membership

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
RETRY_BACKOFF = timedelta(minutes=1)  # doubled per attempt


@dataclass
class DeliveryResult:
    sent: int = 0
    cancelled: int = 0
    failed: int = 0
    permanent: int = 0
    batches: int = 0


def deliveries_send(*, now: datetime, batch_size: int = BATCH_SIZE, max_batches: int = 100) -> DeliveryResult:
    """Send every delivery due at ``now`` (see the module's contract). Idempotent; safe to run twice at once."""
    result = DeliveryResult()
    for _batch in range(max_batches):
        ids = _claim(now=now, size=batch_size)
        if not ids:
            break
        result.batches += 1
        _send_batch(ids, now=now, result=result)
    return result


def _claim(*, now: datetime, size: int) -> list[int]:
    with transaction.atomic():
        due = Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
                                      next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        lease = now + LEASE
        Delivery.objects.filter(pk__in=ids, next_attempt_at__lte=now).update(
            next_attempt_at=lease, attempts=F("attempts") + 1)
        return list(Delivery.objects.filter(pk__in=ids, next_attempt_at=lease).values_list("pk", flat=True))


def _send_batch(ids: list[int], *, now: datetime, result: DeliveryResult) -> None:
    deliveries = list(Delivery.objects.filter(pk__in=ids).select_related(
        "notification__recipient", "notification__milestone__task__plan", "notification__milestone__task__lead_unit",
        "notification__milestone__owner_unit", "notification__report__round__plan", "notification__report__task",
        "notification__report__unit"))
    holders = set(Membership.objects.filter(
        user_id__in={delivery.notification.recipient_id for delivery in deliveries}, unit__active=True,
    ).values_list("user_id", "unit_id", "role"))
    sent: list[int] = []
    cancelled: list[int] = []
    for delivery in deliveries:
        reason = _no_longer_stands(delivery, holders)
        if reason:
            cancelled.append(delivery.pk)
            continue
        try:
            channels.get(delivery.channel).send(delivery)
        except ChannelError as exc:
            _failed(delivery, str(exc), permanent=exc.permanent, now=now, result=result)
        except Exception as exc:  # a channel's bug is a transient failure of that delivery, not of the batch
            logger.exception("delivery %s on %s failed", delivery.pk, delivery.channel)
            _failed(delivery, f"{type(exc).__name__}: {exc}", permanent=False, now=now, result=result)
        else:
            sent.append(delivery.pk)
    if sent:
        Delivery.objects.filter(pk__in=sent).update(status=Delivery.Status.SENT, sent_at=now, next_attempt_at=None,
                                                    last_error="")
    if cancelled:
        Delivery.objects.filter(pk__in=cancelled).update(status=Delivery.Status.CANCELLED, next_attempt_at=None,
                                                         last_error="no longer stands")
    result.sent += len(sent)
    result.cancelled += len(cancelled)


def _no_longer_stands(delivery: Delivery, holders: set[tuple[int, int, str]]) -> str:
    """Why the message should not go out now, or "" when it still stands."""
    message = delivery.notification
    if not message.recipient.is_active:
        return "recipient inactive"
    if message.milestone is not None:
        subject = subjects.milestone_subject(message.milestone)
    elif message.report is not None:
        subject = subjects.report_subject(message.report)
    else:
        return "subject gone"
    if subject is None:
        return "subject closed"
    if not message.slot.startswith(f"{subject.item.kind}:"):
        return "step passed"
    if message.role in (Role.SUPERVISOR, Role.LEADER):
        holds = any(user == message.recipient_id and role == message.role for user, _unit, role in holders)
    else:
        holds = (message.recipient_id, message.unit_id, message.role) in holders
    return "" if holds else "role no longer held"


def _failed(delivery: Delivery, error: str, *, permanent: bool, now: datetime, result: DeliveryResult) -> None:
    """Record a failure: permanent, or retried after a backoff (one statement per failure: failures are rare)."""
    if permanent or delivery.attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PERMANENT, next_attempt_at=None,
                                                       last_error=error[:2000])
        result.permanent += 1
        return
    retry = now + RETRY_BACKOFF * (2 ** (delivery.attempts - 1))
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, next_attempt_at=retry,
                                                   last_error=error[:2000])
    result.failed += 1

