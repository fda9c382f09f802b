"""SMS through a pluggable gateway (``settings.SMS_GATEWAY``, a dotted path to a class with ``send``); the default
only logs, until a provider's gateway is configured."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.channels import ChannelError
from notifications.channels.text import plain

if TYPE_CHECKING:
    from notifications.models import Delivery, Endpoint

logger = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?\d{6,15}$")
MAX_LENGTH = 300  # a few concatenated messages; the link carries the rest


class Gateway(Protocol):
    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        """Hand the text to the provider; raise ``ChannelError`` (permanent or not) if it was not taken."""


class LoggingGateway:
    """The default: writes the message to the log instead of sending it."""

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        logger.info("SMS %s to %s: %s", idempotency_key, phone, text)


class SmsChannel:
    name = "sms"

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        phone = (endpoint.address if endpoint is not None else "").replace(" ", "").replace("-", "")
        if not PHONE.match(phone):
            raise ChannelError(f"not a phone number: {phone!r}", permanent=True)
        gateway: Gateway = import_string(settings.SMS_GATEWAY)()
        gateway.send(phone=phone, text=plain(delivery.notification)[:MAX_LENGTH], idempotency_key=str(delivery.pk))
