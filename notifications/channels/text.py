"""The words a message carries off the site: its title, body and an absolute link (``settings.SITE_URL``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from notifications.models import Notification


def link(notification: Notification) -> str:
    """The message's link made absolute; "" when it has none."""
    if not notification.url:
        return ""
    if notification.url.startswith(("http://", "https://")):
        return notification.url
    return settings.SITE_URL.rstrip("/") + "/" + notification.url.lstrip("/")


def plain(notification: Notification) -> str:
    """Title, body and link as plain text (e-mail, SMS)."""
    parts = [notification.title, notification.body, link(notification)]
    return "\n\n".join(part for part in parts if part)


def markdown(notification: Notification) -> str:
    """The message as the robots' markdown: a bold title, the body's lines, the link."""
    lines = [f"**{notification.title}**", *notification.body.splitlines()]
    url = link(notification)
    if url:
        lines.append(f"[{_('去处理')}]({url})")
    return "\n\n".join(line for line in lines if line)
