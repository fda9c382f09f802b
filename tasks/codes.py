"""Pure helpers for dotted task codes ("3.2.1")."""

from __future__ import annotations

import re

_SEGMENT = re.compile(r"^[0-9A-Za-z\-]+$")


def is_valid_code(code: str) -> bool:
    """A code is dot-separated segments of digits, letters or hyphens."""
    return bool(code) and all(_SEGMENT.match(part) for part in code.split("."))


def code_sort_key(code: str) -> str:
    """A string that sorts codes naturally: "2" < "10", "3.2" < "3.10"; at most 12 levels."""
    parts = []
    for part in code.split("."):
        parts.append(part.zfill(8) if part.isdigit() else part.rjust(8, "~"))
    return ".".join(parts)


def parent_code(code: str) -> str | None:
    """The code of the parent node implied by the dotted code, or None for a top-level code."""
    return code.rsplit(".", 1)[0] if "." in code else None
