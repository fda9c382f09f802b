"""E-mail through Django's mail backend (SMTP from the settings; a file backend in the demo, memory in tests)."""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.channels import ChannelError
from notifications.channels.text import plain

if TYPE_CHECKING:
    from notifications.models import Delivery, Endpoint


def _permanent(code: int | None) -> bool:
    """SMTP 5xx refuses for good (550 no such mailbox, 553 bad address …); 4xx asks to try again later."""
    return code is not None and 500 <= code < 600


class EmailChannel:
    name = "email"

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        """One message to the endpoint's address (blank: the user's own). Its Message-ID and ``Idempotency-Key``
        header carry the delivery's id, so a message sent twice after a crash is recognisably the same one."""
        notification = delivery.notification
        address = (endpoint.address if endpoint is not None else "") or notification.recipient.email
        if not address:
            raise ChannelError("no e-mail address", permanent=True)
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "luoshi.invalid"
        message = EmailMessage(
            subject=notification.title, body=plain(notification), to=[address],
            headers={"Message-ID": f"<luoshi-delivery-{delivery.pk}@{domain}>", "Idempotency-Key": str(delivery.pk)},
            connection=get_connection(fail_silently=False),
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise ChannelError(f"SMTP refused {address}: {exc.recipients}",
                               permanent=all(_permanent(code) for code in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=_permanent(exc.smtp_code)) \
                from exc
        except (smtplib.SMTPException, OSError) as exc:  # connection refused, timeout, TLS: try again later
            raise ChannelError(f"SMTP: {type(exc).__name__}: {exc}") from exc
