"""Input of the reporting loop, parsed at the edge into frozen values the services take.

The API and the pages read what a user sent (JSON or a form) and call ``report_content`` once; the services then
receive typed values and check only the domain rules (the indicator belongs to the task, a completion is not in
the future…). Nothing is silently cut: text over its limit is a field error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tasks.numbers import PLAIN_NUMBER

NARRATIVE_MAX = 20000
EVIDENCE_MAX = 5000
NOTE_MAX = 500


@dataclass(frozen=True)
class IndicatorValueInput:
    """A value the report gives for one indicator of its task (None: no value)."""

    indicator: int | None
    value: Decimal | None
    note: str = ""


@dataclass(frozen=True)
class MilestoneClaimInput:
    """A claim that one milestone of the task was completed on a date, with evidence."""

    milestone: int | None
    completed_date: date
    evidence: str = ""


@dataclass(frozen=True)
class ReportContent:
    """What a save changes. ``None`` for a field means "leave it as it is" — except ``percent_complete``, which
    is cleared when ``percent_given`` and None. Each list given replaces the report's whole list."""

    narrative: str | None = None
    percent_complete: Decimal | None = None
    percent_given: bool = False
    indicator_values: tuple[IndicatorValueInput, ...] | None = None
    milestone_claims: tuple[MilestoneClaimInput, ...] | None = None

    @property
    def empty(self) -> bool:
        return (self.narrative is None and not self.percent_given and self.indicator_values is None
                and self.milestone_claims is None)


def as_int(value: Any) -> int | None:
    """An id from form or JSON input, or None when it is not a whole number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)




def _decimal(value: Any, field: str, errors: dict[str, list[str]], *, places: int = 4,
             digits: int = 20) -> Decimal | None:
    """A number with at most ``places`` decimals and ``digits`` digits in all (the column's), or a field error:
    nothing is rounded or cut silently."""
    text = format(value, "f") if isinstance(value, Decimal) and value.is_finite() else str(value).strip()
    if not PLAIN_NUMBER.fullmatch(text):
        _error(errors, field, _("不是有效的数字：%(value)s") % {"value": value})
        return None
    number = Decimal(text)
    significant = number.normalize()  # "50.0000" from a serializer has no decimals that matter
    decimals = max(0, -int(significant.as_tuple().exponent))
    if decimals > places:
        _error(errors, field, _("最多 %(places)d 位小数：%(value)s") % {"places": places, "value": value})
        return None
    if number and significant.adjusted() + 1 > digits - places:
        _error(errors, field, _("数值过大：%(value)s") % {"value": value})
        return None
    return number


def _date(value: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        _error(errors, field, _("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": value})
        return None


def _text(value: Any, field: str, limit: int, errors: dict[str, list[str]]) -> str:
    text = str(value or "")
    if "\x00" in text:  # PostgreSQL refuses NUL in text (a 500); nobody types one
        _error(errors, field, _("不能包含空字符（\\x00）。"))
        return text.replace("\x00", "")
    if len(text) > limit:
        message = _("不能超过 %(limit)d 个字符（现有 %(length)d 个）。") % {"limit": limit, "length": len(text)}
        _error(errors, field, message)
    return text


def _rows(value: Any, field: str, errors: dict[str, list[str]]) -> Sequence[Mapping[str, Any]]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(row, Mapping) for row in value):
        _error(errors, field, _("应为对象列表。"))
        return ()
    return value


def report_content(data: Mapping[str, Any]) -> ReportContent:
    """Parse ``data`` (keys narrative, percent_complete, indicator_values [{indicator, value, note}],
    milestone_claims [{milestone, completed_date, evidence}]); absent keys leave the report as it is.

    Raises ``ValidationError`` with every field error at once (paths like ``indicator_values[0]``).
    """
    errors: dict[str, list[str]] = {}
    narrative = None
    if "narrative" in data:
        narrative = _text(data["narrative"], "narrative", NARRATIVE_MAX, errors)
    percent = None
    if "percent_complete" in data and data["percent_complete"] not in (None, ""):
        percent = _decimal(data["percent_complete"], "percent_complete", errors, places=2, digits=5)
        if percent is not None and not Decimal("0") <= percent <= Decimal("100"):
            _error(errors, "percent_complete", _("完成百分比应在 0 到 100 之间。"))
    values = None
    if "indicator_values" in data:
        parsed_values = []
        for n, row in enumerate(_rows(data["indicator_values"], "indicator_values", errors)):
            field = f"indicator_values[{n}]"
            raw = row.get("value")
            value = None if raw in (None, "") else _decimal(raw, field, errors)
            parsed_values.append(IndicatorValueInput(indicator=as_int(row.get("indicator")), value=value,
                                                     note=_text(row.get("note"), field, NOTE_MAX, errors)))
        values = tuple(parsed_values)
    claims = None
    if "milestone_claims" in data:
        parsed_claims = []
        for n, row in enumerate(_rows(data["milestone_claims"], "milestone_claims", errors)):
            field = f"milestone_claims[{n}]"
            completed = _date(row.get("completed_date"), field, errors)
            evidence = _text(row.get("evidence"), field, EVIDENCE_MAX, errors)
            if completed is not None:
                parsed_claims.append(MilestoneClaimInput(milestone=as_int(row.get("milestone")),
                                                         completed_date=completed, evidence=evidence))
        claims = tuple(parsed_claims)
    if errors:
        raise ValidationError(errors)
    return ReportContent(narrative=narrative, percent_complete=percent, percent_given="percent_complete" in data,
                         indicator_values=values, milestone_claims=claims)
