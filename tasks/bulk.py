"""Lean bulk inserts: many rows of a few tables, most of whose values are the same — opening a round
(``workflow``), the reminders' messages and deliveries (``notifications``).

``QuerySet.bulk_create`` prepares every field of every row in Python (most of the time of opening a round at
province scale, and of writing a sweep's messages). Here the caller gives each row only what differs from the field
defaults, already in its database form (ids, codes, numbers, and values passed through ``prepared``); the defaults
are prepared once per call. Ids are drawn first (``next_ids``) or left to the database. The statements are plain
parameterised INSERTs — one per call on PostgreSQL (arrays unnested), ``executemany`` on SQLite —, optionally
``ON CONFLICT DO NOTHING`` (both engines) and ``RETURNING`` what the caller needs back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.core import checks
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
           ignore_conflicts: bool = False, returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """INSERT ``rows`` of ``model``: each a dict of column (attname) → database-ready value, on top of ``same``
    (values every row shares, prepared here once) and of each field's default (prepared once). Either every row
    gives its ``id``, or none does and the database draws them; a required column nobody gives fails the INSERT (a
    new field without a default shows at once). ``ignore_conflicts``: a row that breaks a unique constraint is
    skipped (``ON CONFLICT DO NOTHING``), as ``bulk_create(ignore_conflicts=True)`` does. ``returning``: attnames
    to read back from the rows written (``RETURNING``; with ``ignore_conflicts``, only the rows actually inserted),
    as tuples in no particular order; nothing is read back without it.

    PostgreSQL gets one statement whatever the number of rows: each column as one array parameter, ``INSERT …
    SELECT * FROM unnest(…)``. Its text stays the same size, so the driver's client-side binding (Django's default:
    it scans the SQL for placeholders and quotes every value into it) does no per-row work, and the server plans
    it once; a multi-row ``VALUES`` of 500 messages spent more time being bound than written. Each array goes as
    one text literal spelled here (``array_literal``): the driver's own quoting of a list cost three times as
    much. A table with a JSON, binary or duration column keeps ``VALUES``. SQLite runs ``executemany``
    in-process, or, to read rows back, multi-row ``VALUES`` within its parameter limit."""
    if not rows:
        return []
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
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
    one = f"({', '.join(['%s'] * len(fields))})"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(quote(model._meta.get_field(name).column) for name in returning)
    by_column = [[row.get(name, shared.get(name)) for row in rows] for name in columns]
    read: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        as_arrays = not any(field.get_internal_type() in _NOT_IN_ARRAYS for field in fields)
        if connection.vendor == "postgresql" and as_arrays:
            # Each array of the column's type without its length (``varchar``, not ``varchar(20)``): an explicit cast
            # would cut a long text to fit, where the INSERT's own assignment refuses it, as a VALUES row is refused.
            arrays = ", ".join(f"%s::{re.sub(r'[(].*?[)]', '', field.db_type(connection))}[]" for field in fields)
            cursor.execute(f"{head}SELECT * FROM unnest({arrays}){tail}", [array_literal(c) for c in by_column])
            return [tuple(row) for row in cursor.fetchall()] if returning else []
        values = list(zip(*by_column, strict=True))
        if connection.vendor != "postgresql" and not returning:  # SQLite: in-process, as fast as one statement
            cursor.executemany(f"{head}VALUES {one}{tail}", values)
            return []
        per = max(1, _parameter_limit() // len(columns))
        for start in range(0, len(values), per):
            chunk = values[start:start + per]
            cursor.execute(f"{head}VALUES {', '.join([one] * len(chunk))}{tail}",
                           [value for row in chunk for value in row])
            if returning:
                read += [tuple(row) for row in cursor.fetchall()]
    return read


#: Column types whose database-ready values ``array_literal`` does not spell (the driver adapts them): such a table
#: keeps multi-row ``VALUES``.
_NOT_IN_ARRAYS = frozenset({"JSONField", "BinaryField", "DurationField"})


def array_literal(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal (``{1,NULL,"a \\"b\\""}``) of database-ready values — ints, text, booleans,
    dates and aware date-times, decimals — for a ``%s::type[]`` parameter. Every element but NULL and the numbers
    is double-quoted, with backslash and double quote escaped: inside quotes nothing else is special."""
    values = values if isinstance(values, list) else list(values)
    if not values:
        return "{}"
    if values.count(values[0]) == len(values):  # one value throughout (a time, a kind, NULL): spelled once
        return "{" + ",".join([_element(values[0])] * len(values)) + "}"
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(value) is str for value in values):
        joined = '","'.join(values)
        if '"' not in joined and "\\" not in joined:  # nothing to escape: quoted as one
            return '{"' + joined + '"}'
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parameter_limit() -> int:
    """How many parameters one statement may carry: PostgreSQL's protocol allows 65,535; SQLite says its own
    (250,000 in builds since 3.32; Django assumes the old 999)."""
    if connection.vendor == "postgresql":
        return 60_000
    connection.ensure_connection()
    return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


#: ``RETURNING`` (``insert(returning=…)``: every message written once) needs SQLite 3.35 (March 2021); the sweep's
#: ``UPDATE … FROM`` 3.33.
SQLITE_MINIMUM = (3, 35, 0)


def sqlite_new_enough(**_kwargs: Any) -> list[checks.CheckMessage]:
    """A system check: an SQLite database on a library older than ``SQLITE_MINIMUM`` is an error, said at start-up
    rather than at the first reminder sweep."""
    from django.db import connections

    found: list[checks.CheckMessage] = []
    for alias in connections:
        if connections[alias].vendor == "sqlite" and sqlite3.sqlite_version_info < SQLITE_MINIMUM:
            found.append(checks.Error(
                f"SQLite {sqlite3.sqlite_version} is too old for database {alias!r}: Luoshi needs "
                f"{'.'.join(map(str, SQLITE_MINIMUM))} or newer (RETURNING).",
                hint="Use a Python linked against a newer SQLite, or PostgreSQL (DATABASE_URL).", id="tasks.E001"))
    return found
