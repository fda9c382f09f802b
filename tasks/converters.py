"""Path converters of our URLs. ``<id:pk>`` is an object id: ASCII digits within what a 64-bit column holds, so a
larger number is a 404 from the resolver instead of a 500 from SQLite ("Python int too large to convert to SQLite
INTEGER"). Use it, not ``<int:…>``, for every id in a path (tests/api/test_no_server_errors.py tries each route)."""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest id a 64-bit column holds


class IdConverter:
    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(value)  # the resolver tries the next route: none matches, 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
