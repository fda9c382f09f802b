"""How a number is typed, in one place for every input (the register API, the reporting loop's API and pages).

A plain decimal as people type it: ASCII digits, one point, an optional sign; no exponent, no digit groups, no
full-width digits ("１２", "1_000", "1e30", "NaN", "sNaN", "Infinity" are not numbers here, though Python's
``Decimal`` reads them all). Pure: no Django.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def is_plain_number(value: Any) -> bool:
    """Whether *value* is a number as people type it: an int, a finite Decimal or float, or a plain decimal text."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, Decimal | float):
        return Decimal(value).is_finite()
    return isinstance(value, str) and PLAIN_NUMBER.fullmatch(value.strip()) is not None
