"""The in-app channel: the message is the ``Notification`` row; delivering it makes it visible in the recipient's
list and unread count (``notifications.selectors`` show only notifications whose in-app delivery is sent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.models import Delivery


class InAppChannel:
    name = "in_app"

    def send(self, delivery: Delivery) -> None:
        """Nothing leaves the database: marking the delivery sent (the caller does) is what shows the message."""
