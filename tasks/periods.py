"""Pure helpers for reporting periods: "2025-Q3" (quarter) and "2025-07" (month)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date


def parse_period(code: str) -> Period:
    """Parse a period code; raise ValueError with a readable message for anything else."""
    text = (code or "").strip().upper()
    if match := _QUARTER.match(text):
        year, quarter = int(match.group(1)), int(match.group(2))
        first_month, last_month = 3 * quarter - 2, 3 * quarter
        return Period(text, date(year, first_month, 1),
                      date(year, last_month, calendar.monthrange(year, last_month)[1]))
    if match := _MONTH.match(text):
        year, month = int(match.group(1)), int(match.group(2))
        return Period(text, date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    raise ValueError(f"期次格式应为 2025-Q3 或 2025-07，收到 {code!r}")


def quarter_of(day: date) -> Period:
    """The quarter that contains ``day``."""
    return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
