"""Writing messages exactly once: the one way the sweep, the digests, the weekly briefing and the 督办单's steps
store a message and its deliveries.

A message's unique ``key`` (subject, recipient, kind, slot) is its identity. ``messages_write_once`` inserts the
messages with ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (``tasks.bulk.insert``): a key written before — an
earlier run, another worker that got there first, a re-plan after a touch — is skipped by the statement itself, with
no check before it for a second writer to slip past, and what comes back is exactly the messages written now. Only
those get deliveries (``preferences.delivery_specs``: in-app, and each channel the recipient wants the kind on).
Call it inside the caller's transaction: messages and deliveries commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection

from notifications import preferences
from notifications.models import Delivery, Notification
from tasks.bulk import insert, prepared

#: What the caller gets back of each message written now.
Written = tuple[int, int, str]  # (pk, recipient_id, kind)


def messages_write_once(rows: Iterable[dict[str, Any]], *, now: datetime, in_app_sent: bool = False) -> list[Written]:
    """Insert these messages (rows of ``Notification``: attname → database-ready value; ``created_at`` is ``now``)
    and the deliveries of the new ones; ``in_app_sent``: their in-app delivery recorded as done (a step the actor
    just took is shown at once). Two statements (and the recipients' delivery settings) whatever the count."""
    unique = list({row["key"]: row for row in rows}.values())
    if not unique:
        return []
    written = insert(Notification, unique, same={"created_at": now}, ignore_conflicts=True,
                     returning=("id", "recipient_id", "kind"))
    specs = preferences.delivery_specs(written, now=now, in_app_sent=in_app_sent)
    insert(Delivery, delivery_rows(specs), ignore_conflicts=True)
    return written


def message_row(message: Notification) -> dict[str, Any]:
    """An unsaved ``Notification`` as a row for ``messages_write_once`` (every field prepared: for the few messages
    of a digest run or a 督办单's step; the sweep builds its rows directly)."""
    return {field.attname: field.get_db_prep_save(getattr(message, field.attname), connection)
            for field in Notification._meta.concrete_fields if not field.primary_key and field.attname != "created_at"}


def delivery_rows(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deliveries (``preferences.delivery_specs``) as rows for ``tasks.bulk.insert``: each distinct time prepared
    once."""
    ready: dict[datetime, Any] = {}

    def when(value: datetime | None) -> Any:
        if value is None:
            return None
        if value not in ready:
            ready[value] = prepared(Delivery, "created_at", value)
        return ready[value]

    return [{**spec, **{name: when(spec[name]) for name in ("next_attempt_at", "created_at", "sent_at")
                        if name in spec}} for spec in specs]
