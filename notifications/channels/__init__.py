"""Delivery channels: one small class each, in a registry by name. The delivery stage (``notifications.outbox``)
calls ``send`` outside any transaction, with the delivery whose id is the idempotency key.

A channel raises ``ChannelError`` when a message did not go out; ``permanent=True`` says retrying will not help (a
bad address, a revoked robot), anything else is retried with backoff. Only the in-app channel exists in this slice;
e-mail, webhooks (with the DingTalk and WeCom robot formats) and SMS come later, each as a class registered here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from notifications.models import Delivery


class ChannelError(Exception):
    """A delivery that failed; ``permanent`` when a retry cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, delivery: Delivery) -> None:
        """Deliver ``delivery.notification``; raise ``ChannelError`` if it did not go out. Idempotent by
        ``delivery.pk``: a channel that may be asked twice (a worker died after sending) sends it along."""


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


def enabled() -> tuple[str, ...]:
    """The channels every new notification is delivered on (per-user preferences come later)."""
    return tuple(REGISTRY)


from notifications.channels.in_app import InAppChannel  # noqa: E402  (registers itself below)

IN_APP = register(InAppChannel()).name
