"""Delivery channels: one small class each, in a registry by name. The delivery stage (``notifications.outbox``)
calls ``send`` outside any transaction, with the delivery (its id is the idempotency key) and the recipient's endpoint
on that channel (None for in-app).

A channel raises ``ChannelError`` when a message did not go out; ``permanent=True`` says retrying will not help (a
bad address, a revoked robot: the outbox then disables the endpoint and tells its owner), anything else is retried
with backoff. Registered: in-app, e-mail, webhook (a signed JSON POST), DingTalk and WeCom group robots, SMS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from notifications.models import Delivery, Endpoint


class ChannelError(Exception):
    """A delivery that failed; ``permanent`` when a retry cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        """Deliver ``delivery.notification`` to ``endpoint``; raise ``ChannelError`` if it did not go out.
        Idempotent by ``delivery.pk``: a channel that may be asked twice (a worker died after sending) sends it
        along."""


REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    REGISTRY[channel.name] = channel
    return channel


def get(name: str) -> Channel:
    """The channel of that name; ``ChannelError(permanent=True)`` for one no longer installed."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ChannelError(f"no channel {name!r}", permanent=True) from None


from notifications.channels.email import EmailChannel  # noqa: E402  (each registers below)
from notifications.channels.in_app import InAppChannel  # noqa: E402
from notifications.channels.sms import SmsChannel  # noqa: E402
from notifications.channels.webhook import DingTalkChannel, WebhookChannel, WeComChannel  # noqa: E402

IN_APP = register(InAppChannel()).name
"""The in-app channel: the message is the ``Notification`` row; delivering it makes it visible in the recipient's
list and unread count (``notifications.selectors`` show only notifications whose in-app delivery is sent)."""
for _channel in (EmailChannel(), WebhookChannel(), DingTalkChannel(), WeComChannel(), SmsChannel()):
    register(_channel)
