"""Lean bulk inserts: many rows of a few tables, most of whose values are the same — opening a round
(``workflow``), the reminders' messages and deliveries (``notifications``).

``QuerySet.bulk_create`` prepares every field of every row in Python (most of the time of opening a round at
province scale, and of writing a sweep's messages). Here the caller gives each row only what differs from the field
defaults, already in its database form (ids, codes, numbers, and values passed through ``prepared``); the defaults
are prepared once per call. Ids are drawn first (``next_ids``) or left to the database. The statements are plain
parameterised INSERTs — multi-row on PostgreSQL, ``executemany`` on SQLite —, optionally ``ON CONFLICT DO NOTHING``
(both engines).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Max, Model


def next_ids(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys of ``model``.

    PostgreSQL draws them from the table's sequence (safe against any other writer). SQLite has none, but its
    writers are serialised (every transaction here begins IMMEDIATE, holding the write lock), so the ids after the
    largest are free until this transaction ends."""
    if count <= 0:
        return []
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, count])
            return [row[0] for row in cursor.fetchall()]
    first = (model._default_manager.aggregate(last=Max("pk"))["last"] or 0) + 1
    return list(range(first, first + count))


def prepared(model: type[Model], field: str, value: Any) -> Any:
    """``value`` of ``model.field`` in its database form (for the values that are not plain ids, codes or numbers)."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def insert(model: type[Model], rows: Sequence[dict[str, Any]], *, same: dict[str, Any] | None = None,
           ignore_conflicts: bool = False) -> None:
    """INSERT ``rows`` of ``model``: each a dict of column (attname) → database-ready value, on top of ``same``
    (values every row shares, prepared here once) and of each field's default (prepared once). Either every row
    gives its ``id``, or none does and the database draws them; a required column nobody gives fails the INSERT (a
    new field without a default shows at once). ``ignore_conflicts``: a row that breaks a unique constraint is
    skipped (``ON CONFLICT DO NOTHING``), as ``bulk_create(ignore_conflicts=True)`` does."""
    if not rows:
        return
    pk = model._meta.pk.attname
    # A generated column (``Report.returned``) is the database's to compute: never in an INSERT.
    fields = [field for field in model._meta.concrete_fields
              if not field.generated and (not field.primary_key or pk in rows[0])]
    # What Django would write for a field left unset (its default; "" for text, None otherwise).
    shared = {field.attname: field.get_db_prep_save(field.get_default(), connection)
              for field in fields if not field.primary_key}
    shared.update({name: prepared(model, name, value) for name, value in (same or {}).items()})
    columns = [field.attname for field in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    values = [tuple(row[c] if c in row else shared[c] for c in columns) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":  # SQLite runs executemany in-process: as fast as one statement
            cursor.executemany(head + one + tail, values)
            return
        # PostgreSQL: a statement per row, even pipelined, is parsed and planned each time; rows go in by the
        # thousand per statement (within the protocol's 65,535 parameters).
        per = max(1, 60_000 // len(columns))
        for start in range(0, len(values), per):
            chunk = values[start:start + per]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, [value for row in chunk for value in row])


