"""Parse the 完成时限 (deadline) column of action-plan spreadsheets.

Pure module: no Django or ORM imports.

Accepted forms (full-width digits and any whitespace are tolerated, and a
trailing ``前`` / ``以前`` / ``之前`` is ignored, so ``2025年底前`` equals
``2025年底``):

- ``2025-12-31``, ``2025/12/31``, ``2025.12.31``, ``2025年12月31日``: that day;
- ``2025-12``, ``2025年12月``, ``2025年12月底``, ``2025年12月末``: last day of
  the month;
- ``2025``, ``2025年``, ``2025年底``, ``2025年末``, ``2025年内``,
  ``2025年年底``, ``2025年度``, ``2025年下半年``: 31 December;
- ``2025年上半年``, ``2025年年中``: 30 June;
- ``2025年一季度``, ``2025年第一季度``, ``2025年Q1`` (and Q2–Q4): last day of
  the quarter;
- ``持续推进``, ``长期坚持``, ``常态化推进`` and the other
  :data:`ONGOING_PHRASES`: no date, ongoing;
- a ``datetime.date`` / ``datetime.datetime`` (openpyxl): that day;
- an ``int`` or integral ``float`` year such as ``2027``: 31 December;
- ``None`` or a blank string: no date, not ongoing.

With ``default_year``, forms that omit the year (``12月底``, ``年底``,
``三季度``, ``6月30日`` …) are read as belonging to that year. Years must lie
in 1900–2100. Everything else raises :class:`BadDeadline`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ONGOING_PHRASES", "BadDeadline", "Deadline", "parse_deadline"]

ONGOING_PHRASES: frozenset[str] = frozenset(
    {
        "长期",
        "长期坚持",
        "长期推进",
        "持续",
        "持续推进",
        "持续开展",
        "常态化",
        "常态化推进",
    }
)

MIN_YEAR = 1900
MAX_YEAR = 2100

_WHITESPACE = re.compile(r"\s+")
_BEFORE_SUFFIX = re.compile(r"(?:以前|之前|前)$")
_YEARLESS_START = re.compile(r"[0-9年上下第一二三四q]")
_QUARTER_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Deadline:
    """A parsed deadline.

    ``date`` is the last day the task may be completed on, or ``None``;
    ``text`` is the original value, stripped (ISO format for date objects);
    ``ongoing`` is true for open-ended tasks (``持续推进``), which have no date.
    """

    date: dt.date | None
    text: str
    ongoing: bool


class BadDeadline(ValueError):
    """A deadline that matches none of the accepted forms; ``text`` is the value."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return (
            f'无法识别的完成时限 "{self.text}"'
            "（可用格式：2025-12-31、2025年12月、2025年底、2026年6月底、2027年、持续推进）"
            f' / unrecognised deadline "{self.text}"'
            " (accepted: 2025-12-31, 2025年12月, 2025年底, 2026年6月底, 2027年, 持续推进)"
        )


def _day(year: int, month: int, day: int) -> dt.date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year out of range: {year}")
    return dt.date(year, month, day)


def _month_end(year: int, month: int) -> dt.date:
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return _day(year, month, calendar.monthrange(year, month)[1])


def _exact_day(m: re.Match[str]) -> dt.date:
    return _day(int(m["y"]), int(m["m"]), int(m["d"]))


def _end_of_month(m: re.Match[str]) -> dt.date:
    return _month_end(int(m["y"]), int(m["m"]))


def _end_of_year(m: re.Match[str]) -> dt.date:
    return _day(int(m["y"]), 12, 31)


def _mid_year(m: re.Match[str]) -> dt.date:
    return _day(int(m["y"]), 6, 30)


def _end_of_quarter(m: re.Match[str]) -> dt.date:
    return _month_end(int(m["y"]), 3 * _QUARTER_NUMBERS[m["q"] or m["qn"]])


_Y = r"(?P<y>\d{4})"
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], dt.date]], ...] = (
    (re.compile(rf"{_Y}(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"), _exact_day),
    (re.compile(rf"{_Y}年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})[日号]"), _exact_day),
    (re.compile(rf"{_Y}[-/.](?P<m>\d{{1,2}})"), _end_of_month),
    (re.compile(rf"{_Y}年(?P<m>\d{{1,2}})月(?:份)?(?:底|末)?"), _end_of_month),
    (re.compile(rf"{_Y}(?:年(?:年?[底末内]|度)?)?"), _end_of_year),
    (re.compile(rf"{_Y}年(?:上半年|年?中)"), _mid_year),
    (re.compile(rf"{_Y}年下半年"), _end_of_year),
    (re.compile(rf"{_Y}年?(?:第?(?P<q>[一二三四1-4])季度|q(?P<qn>[1-4]))"), _end_of_quarter),
)


def _normalize(text: str) -> str:
    folded = _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    shortened = _BEFORE_SUFFIX.sub("", folded)
    return shortened or folded


def _match(normalized: str) -> dt.date | None:
    """Date for *normalized* text, ``None`` if no rule matches.

    Raises ValueError if a rule matches but the date does not exist.
    """
    for pattern, to_date in _RULES:
        m = pattern.fullmatch(normalized)
        if m:
            return to_date(m)
    return None


def _from_year_number(value: int | float) -> Deadline:
    text = str(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise BadDeadline(text)
        value = int(value)
        text = str(value)
    try:
        return Deadline(_day(value, 12, 31), text, False)
    except (ValueError, OverflowError):
        raise BadDeadline(text) from None


def parse_deadline(text: str | int | float | dt.date | None, *, default_year: int | None = None) -> Deadline:
    """Parse one 完成时限 cell into a :class:`Deadline`.

    See the module docstring for the accepted forms. ``default_year`` supplies
    the year for forms written without one; without it such forms are errors.
    Raises :class:`BadDeadline` (a ``ValueError``) for anything unrecognised,
    including dates that do not exist (``2025-02-30``) and years outside
    1900–2100.
    """
    if text is None:
        return Deadline(None, "", False)
    if isinstance(text, dt.datetime):
        return Deadline(text.date(), text.date().isoformat(), False)
    if isinstance(text, dt.date):
        return Deadline(text, text.isoformat(), False)
    if isinstance(text, bool):
        raise BadDeadline(str(text))
    if isinstance(text, int | float):
        return _from_year_number(text)
    if not isinstance(text, str):
        raise BadDeadline(str(text))

    original = text.strip()
    if not original:
        return Deadline(None, "", False)
    normalized = _normalize(original)
    if normalized in ONGOING_PHRASES:
        return Deadline(None, original, True)
    try:
        date = _match(normalized)
        if date is None and default_year is not None and _YEARLESS_START.match(normalized):
            date = _match(f"{default_year}年{normalized}")
    except ValueError:
        raise BadDeadline(original) from None
    if date is None:
        raise BadDeadline(original)
    return Deadline(date, original, False)
