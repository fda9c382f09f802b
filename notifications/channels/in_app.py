from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.models import Delivery, Endpoint


class InAppChannel:
    name = "in_app"

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        """Nothing leaves the database: marking the delivery sent (the caller does) is what shows the message."""
