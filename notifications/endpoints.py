"""Writes and reads of a person's delivery settings: their endpoints, their per-kind preferences and quiet hours
(``notifications.models_delivery``), and disabling an endpoint a channel refused for good.

``preferences_of`` / ``preferences_set`` are the one shape the API and the page share (``Settings``): the caller's
own, never anyone else's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.channels import IN_APP
from notifications.models import ChannelName, Delivery, Endpoint, Notification, Preference, QuietHours
from notifications.preferences import CHANNELS, CONFIGURABLE_KINDS, default_immediate


@dataclass(frozen=True)
class EndpointInput:
    """One endpoint as written: ``secret`` None keeps the stored one."""

    address: str = ""
    secret: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Settings:
    """A person's delivery settings: quiet hours (or None), immediate[kind][channel], endpoints by channel."""

    quiet_hours: tuple[time, time] | None
    immediate: dict[str, dict[str, bool]]
    endpoints: dict[str, Endpoint | None] = field(default_factory=dict)


def preferences_of(*, user: AbstractBaseUser) -> Settings:
    """The user's own settings, the defaults filled in (three queries)."""
    overrides = {(kind, channel): immediate for kind, channel, immediate in
                 Preference.objects.filter(user_id=user.pk).values_list("kind", "channel", "immediate")}
    quiet = QuietHours.objects.filter(user_id=user.pk).values_list("start", "end").first()
    endpoints = {row.channel: row for row in Endpoint.objects.filter(user_id=user.pk)}
    return Settings(
        quiet_hours=tuple(quiet) if quiet else None,  # type: ignore[arg-type]
        immediate={kind: {channel: overrides.get((kind, channel), default_immediate(kind)) for channel in CHANNELS}
                   for kind in CONFIGURABLE_KINDS},
        endpoints={channel: endpoints.get(channel) for channel in CHANNELS},
    )


@transaction.atomic
def preferences_set(*, actor: AbstractBaseUser, quiet_hours: tuple[time, time] | None,
                    immediate: dict[str, dict[str, bool]], endpoints: dict[str, EndpointInput | None],
                    now: datetime) -> Settings:
    """Replace the actor's own settings with these (validated by the caller: ``notifications.api.preferences``).
    Kinds and channels not given keep their defaults; an endpoint given as None is removed; one the actor enables
    again forgets why it was disabled. Idempotent; atomic."""
    Preference.objects.filter(user_id=actor.pk).delete()
    Preference.objects.bulk_create([
        Preference(user_id=actor.pk, kind=kind, channel=channel, immediate=value)
        for kind, by_channel in immediate.items() for channel, value in by_channel.items()
        if value != default_immediate(kind)
    ])
    if quiet_hours is None:
        QuietHours.objects.filter(user_id=actor.pk).delete()
    else:
        QuietHours.objects.update_or_create(user_id=actor.pk, defaults={"start": quiet_hours[0],
                                                                          "end": quiet_hours[1]})
    stored = {row.channel: row for row in Endpoint.objects.filter(user_id=actor.pk)}
    for channel, given in endpoints.items():
        row = stored.get(channel)
        if given is None:
            if row is not None:
                row.delete()
            continue
        row = row or Endpoint(user_id=actor.pk, channel=channel)
        row.address = given.address
        if given.secret is not None:
            row.secret = given.secret
        if (given.enabled and not row.enabled) or row.pk is None:
            row.disabled_reason, row.disabled_at = "", None
        if not given.enabled and row.enabled:
            row.disabled_reason, row.disabled_at = _("本人已停用"), now
        row.enabled = given.enabled
        row.updated_at = now
        row.save()
    return preferences_of(user=actor)


def endpoint_disable(*, endpoint_id: int, reason: str, now: datetime) -> bool:
    """Disable an endpoint a channel refused for good, and tell its owner in-app (a message with a pending in-app
    delivery, sent by the delivery stage). Only the first caller does it (a conditional UPDATE on ``enabled``);
    returns whether this one did. Atomic; called outside the send, never around it."""
    with transaction.atomic():
        changed = Endpoint.objects.filter(pk=endpoint_id, enabled=True).update(
            enabled=False, disabled_reason=reason[:2000] or "refused", disabled_at=now, updated_at=now)
        if not changed:
            return False
        endpoint = Endpoint.objects.get(pk=endpoint_id)
        label = ChannelName(endpoint.channel).label
        notification = Notification.objects.create(
            recipient_id=endpoint.user_id, kind=Notification.Kind.CHANNEL, level=0,
            slot=f"endpoint:{endpoint.pk}:disabled:{now.isoformat()}",
            key=f"endpoint:{endpoint.pk}|user:{endpoint.user_id}|channel|{now.isoformat()}",
            title=_("【渠道停用】你的%(channel)s通知渠道已停用") % {"channel": label},
            body=_("发送失败且无法重试：%(reason)s\n请在通知设置中检查地址后重新启用。") % {"reason": reason[:300]},
            url=reverse("notification-preferences"), created_at=now,
        )
        Delivery.objects.create(notification=notification, channel=IN_APP, next_attempt_at=now, created_at=now)
    return True
