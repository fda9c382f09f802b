"""Which channels carry a message at once, and when: the one place for the rule, used by the sweep when it writes a
message's deliveries and by the delivery stage when it checks them again.

- **In-app always.** Every message is delivered in-app; the other channels need an enabled ``Endpoint``.
- **Immediate or digest.** By default only the urgent kinds go out at once on the other channels (``URGENT_KINDS``:
  returns, 督办 recommended, a 督办单's steps and 约谈); everything else waits for the daily digest. A
  ``Preference`` row turns one kind on one channel on or off. The digests (daily, and the leadership's weekly
  briefing) go to every enabled endpoint; a "channel disabled" message stays in-app (its channel may be the broken
  one).
- **Quiet hours.** An immediate message that is not urgent, due inside the person's quiet hours, waits for their end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from notifications.channels import IN_APP
from notifications.models import ChannelName, Delivery, Endpoint, Notification, Preference, QuietHours
from notifications.planner import SHANGHAI

Kind = Notification.Kind

#: Kinds a person may switch per channel (the digest and the "channel disabled" message follow their own rule).
CONFIGURABLE_KINDS: tuple[str, ...] = tuple(str(kind) for kind in (Kind.RETURNED, Kind.REMINDER, Kind.STALE,
                                                                    Kind.CHASE, Kind.SUPERVISE, Kind.NOTICE,
                                                                    Kind.INTERVIEW))
#: Sent at once by default, and through quiet hours: returns, 督办 (recommended, and a 督办单's steps) and 约谈 (the
#: issue's "immediate" kinds).
URGENT_KINDS: frozenset[str] = frozenset({str(Kind.RETURNED), str(Kind.SUPERVISE), str(Kind.NOTICE),
                                          str(Kind.INTERVIEW)})
DEFAULT_IMMEDIATE = URGENT_KINDS
CHANNELS: tuple[str, ...] = tuple(ChannelName.values)


def default_immediate(kind: str) -> bool:
    return kind in DEFAULT_IMMEDIATE


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """The end of the quiet hours ``start``–``end`` (Asia/Shanghai) when ``now`` falls inside them, else None.
    ``end`` before ``start`` spans midnight; ``start`` is inside, ``end`` is not."""
    local = now.astimezone(SHANGHAI)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local else ends + timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    """The delivery settings of a few people, read in bulk (``rules_for``)."""

    endpoints: dict[tuple[int, str], Endpoint]
    overrides: dict[tuple[int, str, str], bool]
    quiet: dict[int, tuple[time, time]]

    def endpoint(self, user_id: int, channel: str) -> Endpoint | None:
        """The user's enabled endpoint on ``channel``, or None."""
        found = self.endpoints.get((user_id, channel))
        return found if found is not None and found.enabled else None

    def wants(self, user_id: int, kind: str, channel: str) -> bool:
        """Whether a message of ``kind`` goes out on ``channel`` (beyond in-app) at once, endpoint aside."""
        if kind in (Kind.DIGEST, Kind.WEEKLY):
            return True
        if kind == Kind.CHANNEL:
            return False
        return self.overrides.get((user_id, kind, channel), default_immediate(kind))

    def channels(self, user_id: int, kind: str) -> list[str]:
        """The channels beyond in-app a new message of ``kind`` to this user is delivered on."""
        return [name for name in CHANNELS if self.endpoint(user_id, name) is not None
                and self.wants(user_id, kind, name)]

    def not_before(self, user_id: int, kind: str, now: datetime) -> datetime:
        """When a message of ``kind`` may go out beyond in-app: now, or the end of the quiet hours."""
        hours = self.quiet.get(user_id)
        if hours is None or kind in URGENT_KINDS:
            return now
        return quiet_until(now, *hours) or now


def rules_for(user_ids: Iterable[int]) -> Rules:
    """The endpoints, preferences and quiet hours of these users (three queries; none for no users)."""
    ids = sorted(set(user_ids))
    if not ids:
        return Rules({}, {}, {})
    endpoints = {(row.user_id, row.channel): row for row in Endpoint.objects.filter(user_id__in=ids)}
    overrides = {(user, kind, channel): immediate for user, kind, channel, immediate in
                 Preference.objects.filter(user_id__in=ids).values_list("user_id", "kind", "channel", "immediate")}
    quiet = {user: (start, end) for user, start, end in
             QuietHours.objects.filter(user_id__in=ids).values_list("user_id", "start", "end")}
    return Rules(endpoints, overrides, quiet)


def delivery_specs(written: Iterable[tuple[int, int, str]], *, now: datetime,
                   in_app_sent: bool = False) -> list[dict[str, Any]]:
    """The deliveries of new messages ``(pk, recipient_id, kind)``: in-app (pending, or with ``in_app_sent`` recorded
    as sent now: the in-app channel is the database), and each channel the recipient has enabled and wants this kind
    on, after their quiet hours when the message is not urgent. The one place the sweep, the digests and the notices'
    steps turn a message into deliveries. Each as the fields of a ``Delivery`` that differ from its defaults
    (``notifications.writing`` inserts them as rows). Three queries when there are messages
    (endpoints, preferences, quiet hours)."""
    written = list(written)
    pending = str(Delivery.Status.PENDING)
    in_app = ({"status": str(Delivery.Status.SENT), "attempts": 1, "sent_at": now} if in_app_sent
              else {"status": pending, "next_attempt_at": now})  # fmt: skip
    specs = [{"notification_id": pk, "channel": IN_APP, "created_at": now, **in_app} for pk, _r, _k in written]
    rules = rules_for(recipient for _pk, recipient, _kind in written)
    specs += [{"notification_id": pk, "channel": name, "created_at": now, "status": pending,
               "next_attempt_at": rules.not_before(recipient, kind, now)}
              for pk, recipient, kind in written for name in rules.channels(recipient, kind)]  # fmt: skip
    return specs
