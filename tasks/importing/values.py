"""Reading and writing single values the way people write them in a 台账. Pure module, no ORM.

Both readers and the workbook writer use these, so what the export writes the import reads.
Every reader raises :class:`ValueError` with a message fit for the person fixing the file.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from tasks.deadlines import BadDeadline, Deadline, parse_deadline

# Words accepted for each choice: the Chinese label (as the export writes it) or the stored value.
KIND_LABELS = {"indicator": "指标类", "deliverable": "成果类", "qualitative": "定性类"}
IMPORTANCE_LABELS = {"major": "重大", "normal": "一般"}
DIRECTION_LABELS = {"higher": "越高越好", "lower": "越低越好"}
CADENCE_LABELS = {"monthly": "按月", "quarterly": "按季度"}
PLAN_STATUS_LABELS = {"draft": "草稿", "active": "实施中", "closed": "已结束"}
TASK_STATUS_LABELS = {"not_started": "未启动", "in_progress": "推进中", "done": "已办结"}
MILESTONE_STATUS_LABELS = {"pending": "未完成", "done": "已完成"}

_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", "×", ""}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_INTERIM_ITEM = re.compile(r"^(\d{4})\s*年?\s*[:：=]\s*(\S+)$")
_INTERIM_SEPARATORS = re.compile(r"[；;，,、\n]+")


def clean(value: Any) -> str:
    """A cell as trimmed text (NFKC is *not* applied: names and text are kept as written)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def folded(value: Any) -> str:
    """Text folded for comparing words: NFKC, no whitespace, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", clean(value))).casefold()


def to_choice(value: Any, labels: dict[str, str]) -> str:
    """The stored value for a label or value of *labels*; ValueError listing the accepted words."""
    word = folded(value)
    for stored, label in labels.items():
        if word in (stored, folded(label)):
            return stored
    raise ValueError(_("须为以下之一：%(words)s") % {"words": "、".join(labels.values())})


def to_bool(value: Any) -> bool:
    """是/否 (also yes/no, true/false, 1/0, √/×); a YAML or Excel boolean as is."""
    if isinstance(value, bool):
        return value
    word = folded(value)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(_("须为“是”或“否”"))


def to_date(value: Any) -> date:
    """A calendar day: an Excel/YAML date, or text such as 2025-06-30, 2025/6/30, 2025年6月30日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(unicodedata.normalize("NFKC", clean(value)))
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ValueError(_("无法识别的日期（应写成 2025-06-30）"))


def to_deadline_date(value: Any) -> date:
    """A milestone's due day: a date, or deadline words that name a day (2025年底, 2026年6月底)."""
    try:
        deadline = parse_deadline(value)
    except BadDeadline:
        raise ValueError(_("无法识别的日期（应写成 2025-06-30 或 2025年底）")) from None
    if deadline.date is None:
        raise ValueError(_("须为具体日期"))
    return deadline.date


def read_deadline(value: Any) -> tuple[date | None, str]:
    """A 完成时限 cell as (due date, words kept as due_text).

    The words are kept unless they are just the ISO form of the date, so a plain date
    round-trips with an empty ``due_text``. Raises ValueError naming the accepted forms.
    """
    try:
        deadline: Deadline = parse_deadline(value)
    except BadDeadline:
        raise ValueError(
            _("无法识别的完成时限（可用：2025-12-31、2025年12月、2025年底、2026年6月底、2027年、持续推进）")
        ) from None
    text = deadline.text
    if deadline.date is not None and text == deadline.date.isoformat():
        text = ""
    return deadline.date, text


def write_deadline(due_date: date | None, due_text: str) -> str:
    """What the export writes in 完成时限 so that :func:`read_deadline` gives back the same pair, if it can."""
    if due_text:
        try:
            if read_deadline(due_text) == (due_date, due_text):
                return due_text
        except ValueError:
            pass
    return due_date.isoformat() if due_date else due_text


def to_decimal(value: Any, *, places: int = 4) -> Decimal:
    """A number (YAML/Excel number or text) as a Decimal with at most *places* decimal places."""
    if isinstance(value, bool):
        raise ValueError(_("须为数字"))
    text = repr(value) if isinstance(value, float) else unicodedata.normalize("NFKC", clean(value)).replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("须为数字")) from None
    if not number.is_finite():
        raise ValueError(_("须为数字"))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        rounded = number.quantize(Decimal(1).scaleb(-places))
        # A binary float from a spreadsheet formula (0.1 + 0.2) is noise past the tenth place, not data.
        if not (isinstance(value, float) and abs(rounded - number) < Decimal("1e-9")):
            raise ValueError(_("最多 %(places)d 位小数") % {"places": places})
        number = rounded
    return number


def to_year(value: Any) -> int:
    """A four-digit year between 1949 and 2100."""
    if isinstance(value, bool):
        raise ValueError(_("须为年份"))
    try:
        number = Decimal(clean(value).removesuffix("年"))
    except InvalidOperation:
        raise ValueError(_("须为年份")) from None
    if number != number.to_integral_value() or not 1949 <= number <= 2100:
        raise ValueError(_("须为 1949—2100 之间的年份"))
    return int(number)


def to_code(value: Any) -> str:
    """A task, indicator or milestone code from a cell: numbers as written (1 → "1", 1.2 → "1.2")."""
    if isinstance(value, bool):
        raise ValueError(_("须为编号"))
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return unicodedata.normalize("NFKC", clean(value)).strip()


def number_text(value: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form ("3.2", "40000")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def parse_interim(text: Any) -> tuple[tuple[int, Decimal], ...]:
    """序时目标 written as "2024:3.2；2025:3.5" (full-width colons and other separators accepted)."""
    items: list[tuple[int, Decimal]] = []
    for raw in _INTERIM_SEPARATORS.split(unicodedata.normalize("NFKC", clean(text))):
        item = raw.strip()
        if not item:
            continue
        match = _INTERIM_ITEM.match(item)
        if not match:
            raise ValueError(_("应写成“2024:3.2；2025:3.5”"))
        year = to_year(match[1])
        if any(year == seen for seen, _value in items):
            raise ValueError(_("年份重复：%(year)d") % {"year": year})
        items.append((year, to_decimal(match[2])))
    return tuple(items)


def format_interim(items: list[tuple[int, Decimal]]) -> str:
    return "；".join(f"{year}:{number_text(value)}" for year, value in items)


__all__ = [
    "CADENCE_LABELS",
    "DIRECTION_LABELS",
    "IMPORTANCE_LABELS",
    "KIND_LABELS",
    "MILESTONE_STATUS_LABELS",
    "PLAN_STATUS_LABELS",
    "TASK_STATUS_LABELS",
    "clean",
    "folded",
    "format_interim",
    "number_text",
    "parse_interim",
    "read_deadline",
    "to_bool",
    "to_choice",
    "to_code",
    "to_date",
    "to_deadline_date",
    "to_decimal",
    "to_year",
    "write_deadline",
]
