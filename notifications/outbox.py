"""The delivery stage: send the pending deliveries the sweep wrote, each on its channel, outside any transaction.

Contract (``deliveries_send``):

- **Claim.** Due deliveries (pending, or failed and due for a retry) are claimed like the watches: ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, then a conditional UPDATE that counts the attempt and pushes them out by a lease — a worker
  that dies mid-send leaves them to be tried again when the lease ends (``lease()``), with the same id as the
  idempotency key.
- **Check again.** Before sending, each message must still stand: its recipient active, its subject still open and
  still at the step the message is about (a 督办单's step: ``selectors_notices.notice_step_stands``), and the
  recipient still holding the role it was sent for (a digest, a weekly briefing or a "channel disabled" message has
  no subject: its recipient active is enough). On a channel beyond in-app, the
  recipient's endpoint must still be enabled and their preference still on. Otherwise the delivery is cancelled
  (``cancelled``), not sent. A non-urgent message met inside the recipient's quiet hours waits for their end
  (the claim's attempt is given back).
- **Send and record.** ``channel.send`` runs outside any transaction; the outcome is written after: ``sent``; a
  ``ChannelError(permanent=True)``, an unknown channel or ``MAX_ATTEMPTS`` failures: ``permanent``; any other
  error: ``failed``, retried after a backoff that doubles per attempt. A permanent error on an endpoint disables it
  and tells its owner in-app (``notifications.endpoints.endpoint_disable``). In-app outcomes are written in bulk at
  the end of the batch; a send beyond in-app is recorded as soon as it returns (a worker that dies later in the
  batch does not send it again), and once a batch has spent ``SEND_BUDGET`` of its lease on slow endpoints the rest is
  given back undone (due now, the attempt not counted) well before the lease ends.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from notifications import channels, endpoints, preferences, subjects
from notifications.channels import IN_APP, ChannelError
from notifications.models import Delivery, Endpoint, Notification
from notifications.planner import Role
from notifications.selectors_notices import notice_step_stands
from units.models import Membership

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_ATTEMPTS = 8
SEND_BUDGET = 0.5  # share of the lease a batch may spend on channels beyond in-app before it gives the rest back
RETRY_BACKOFF = timedelta(minutes=1)  # doubled per attempt


@dataclass
class DeliveryResult:
    sent: int = 0
    cancelled: int = 0
    failed: int = 0
    permanent: int = 0
    deferred: int = 0
    disabled: int = 0
    released: int = 0
    batches: int = 0


def lease() -> timedelta:
    """How long a claim holds its deliveries: ``settings.DELIVERY_LEASE_SECONDS`` (10 minutes unless
    ``LUOSHI_DELIVERY_LEASE_SECONDS`` says otherwise), read at each claim, not at import."""
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


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
        until = now + lease()
        Delivery.objects.filter(pk__in=ids, next_attempt_at__lte=now).update(
            next_attempt_at=until, attempts=F("attempts") + 1)
        return list(Delivery.objects.filter(pk__in=ids, next_attempt_at=until).values_list("pk", flat=True))


def _send_batch(ids: list[int], *, now: datetime, result: DeliveryResult) -> None:
    deliveries = list(Delivery.objects.filter(pk__in=ids).select_related(
        "notification__recipient", "notification__milestone__task__plan", "notification__milestone__task__lead_unit",
        "notification__milestone__owner_unit", "notification__report__round__plan", "notification__report__task",
        "notification__report__unit", "notification__notice"))
    holders = set(Membership.objects.filter(
        user_id__in={delivery.notification.recipient_id for delivery in deliveries}, unit__active=True,
    ).values_list("user_id", "unit_id", "role"))
    rules = preferences.rules_for(delivery.notification.recipient_id for delivery in deliveries
                                  if delivery.channel != IN_APP)
    sent: list[int] = []
    cancelled: dict[str, list[int]] = {}
    deadline = time.monotonic() + lease().total_seconds() * SEND_BUDGET
    for delivery in deliveries:
        if delivery.channel != IN_APP and time.monotonic() > deadline:
            # Slow endpoints: give the rest back before the lease runs out, so no other worker sends them too.
            Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now, attempts=F("attempts") - 1)
            result.released += 1
            continue
        reason = _no_longer_stands(delivery, holders)
        endpoint: Endpoint | None = None
        if not reason and delivery.channel != IN_APP:
            message = delivery.notification
            endpoint = rules.endpoint(message.recipient_id, delivery.channel)
            if endpoint is None:
                reason = "channel disabled"
            elif not rules.wants(message.recipient_id, message.kind, delivery.channel):
                reason = "preference off"
            else:
                later = rules.not_before(message.recipient_id, message.kind, now)
                if later > now:  # quiet hours: not an attempt
                    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later,
                                                                   attempts=F("attempts") - 1)
                    result.deferred += 1
                    continue
        if reason:
            cancelled.setdefault(reason, []).append(delivery.pk)
            continue
        try:
            channels.get(delivery.channel).send(delivery, endpoint)
        except ChannelError as exc:
            _failed(delivery, str(exc), permanent=exc.permanent, now=now, result=result)
            if exc.permanent and endpoint is not None and endpoints.endpoint_disable(
                    endpoint_id=endpoint.pk, reason=str(exc), now=now):
                result.disabled += 1
        except Exception as exc:  # a channel's bug is a transient failure of that delivery, not of the batch
            logger.exception("delivery %s on %s failed", delivery.pk, delivery.channel)
            _failed(delivery, f"{type(exc).__name__}: {exc}", permanent=False, now=now, result=result)
        else:
            if delivery.channel == IN_APP:
                sent.append(delivery.pk)
            else:  # recorded at once: a worker that dies later in the batch must not send this one again
                Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, sent_at=now,
                                                               next_attempt_at=None, last_error="")
                result.sent += 1
    if sent:
        Delivery.objects.filter(pk__in=sent).update(status=Delivery.Status.SENT, sent_at=now, next_attempt_at=None,
                                                    last_error="")
    for reason, pks in cancelled.items():  # one statement per reason: few
        Delivery.objects.filter(pk__in=pks).update(status=Delivery.Status.CANCELLED, next_attempt_at=None,
                                                   last_error=reason)
    result.sent += len(sent)
    result.cancelled += sum(len(pks) for pks in cancelled.values())


def _no_longer_stands(delivery: Delivery, holders: set[tuple[int, int, str]]) -> str:
    """Why the message should not go out now, or "" when it still stands."""
    message = delivery.notification
    if not message.recipient.is_active:
        return "recipient inactive"
    if message.kind in (Notification.Kind.DIGEST, Notification.Kind.WEEKLY, Notification.Kind.CHANNEL):
        return ""
    if message.notice is not None:
        if not notice_step_stands(message.notice, message.slot):
            return "step passed"
        return "" if _holds(message, holders, unit_roles=(Role.REPORTER, Role.HEAD)) else "role no longer held"
    if message.slot.startswith("round-chase:"):  # a unit's parts of a round, chased together (round_unit_chase)
        return "" if _holds(message, holders, unit_roles=(Role.REPORTER, Role.HEAD)) else "role no longer held"
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
    return "" if _holds(message, holders, unit_roles=(message.role,)) else "role no longer held"


def _holds(message: Notification, holders: set[tuple[int, int, str]], *, unit_roles: tuple[str, ...]) -> bool:
    """Whether the recipient still holds the role the message was sent for: a supervisor or leader anywhere; in the
    message's unit, one of ``unit_roles`` (a 督办单 goes to the unit's reporters and heads alike)."""
    if message.role in (Role.SUPERVISOR, Role.LEADER):
        return any(user == message.recipient_id and role == message.role for user, _unit, role in holders)
    return any((message.recipient_id, message.unit_id, role) in holders for role in unit_roles)


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

