"""Tests for tasks.deadlines.parse_deadline."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from tasks.deadlines import ONGOING_PHRASES, BadDeadline, Deadline, parse_deadline

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-31", D(2025, 12, 31)),
        ("2025/12/31", D(2025, 12, 31)),
        ("2025.12.31", D(2025, 12, 31)),
        ("2025年12月31日", D(2025, 12, 31)),
        ("2026-6-1", D(2026, 6, 1)),
        ("2026年6月1日", D(2026, 6, 1)),
        ("2024-02-29", D(2024, 2, 29)),
        ("2025年12月", D(2025, 12, 31)),
        ("2025-12", D(2025, 12, 31)),
        ("2025/6", D(2025, 6, 30)),
        ("2025年12月底", D(2025, 12, 31)),
        ("2025年12月末", D(2025, 12, 31)),
        ("2026年6月底", D(2026, 6, 30)),
        ("2024年2月底", D(2024, 2, 29)),
        ("2025年2月", D(2025, 2, 28)),
        ("2025年9月份", D(2025, 9, 30)),
        ("2025年底", D(2025, 12, 31)),
        ("2025年末", D(2025, 12, 31)),
        ("2025年", D(2025, 12, 31)),
        ("2025年内", D(2025, 12, 31)),
        ("2025年年底", D(2025, 12, 31)),
        ("2025年年末", D(2025, 12, 31)),
        ("2025年年内", D(2025, 12, 31)),
        ("2025年度", D(2025, 12, 31)),
        ("2025", D(2025, 12, 31)),
        ("2025年上半年", D(2025, 6, 30)),
        ("2025年年中", D(2025, 6, 30)),
        ("2025年下半年", D(2025, 12, 31)),
        ("2025年一季度", D(2025, 3, 31)),
        ("2025年第一季度", D(2025, 3, 31)),
        ("2025年Q1", D(2025, 3, 31)),
        ("2025年二季度", D(2025, 6, 30)),
        ("2025年第二季度", D(2025, 6, 30)),
        ("2025年Q2", D(2025, 6, 30)),
        ("2025年三季度", D(2025, 9, 30)),
        ("2025年第三季度", D(2025, 9, 30)),
        ("2025年Q3", D(2025, 9, 30)),
        ("2025年四季度", D(2025, 12, 31)),
        ("2025年第四季度", D(2025, 12, 31)),
        ("2025年Q4", D(2025, 12, 31)),
        ("2025年q4", D(2025, 12, 31)),
        ("2025Q2", D(2025, 6, 30)),
        ("2025年第2季度", D(2025, 6, 30)),
        ("2025年底前", D(2025, 12, 31)),
        ("2026年6月底前", D(2026, 6, 30)),
        ("2025年12月31日以前", D(2025, 12, 31)),
        ("2025年之前", D(2025, 12, 31)),
    ],
)
def test_parses_dated_forms(text: str, expected: dt.date) -> None:
    assert parse_deadline(text) == Deadline(expected, text, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２０２５年１２月３１日", D(2025, 12, 31)),
        ("２０２６年６月底", D(2026, 6, 30)),
        ("２０２５－１２－３１", D(2025, 12, 31)),
        ("２０２５年Ｑ３", D(2025, 9, 30)),
        (" 2025 年 12 月 底 ", D(2025, 12, 31)),
        ("2025\u3000年底", D(2025, 12, 31)),
        ("\t2027年\n", D(2027, 12, 31)),
    ],
)
def test_tolerates_full_width_digits_and_spaces(text: str, expected: dt.date) -> None:
    deadline = parse_deadline(text)
    assert deadline == Deadline(expected, text.strip(), False)


@pytest.mark.parametrize("text", ["长期坚持", "持续推进", "长期", "持续", "常态化推进", " 持续推进 ", "持续 推进"])
def test_ongoing_phrases_have_no_date(text: str) -> None:
    assert parse_deadline(text) == Deadline(None, text.strip(), True)


def test_every_listed_ongoing_phrase_is_ongoing() -> None:
    for phrase in ONGOING_PHRASES:
        assert parse_deadline(phrase).ongoing, phrase


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2025, 12, 31), Deadline(D(2025, 12, 31), "2025-12-31", False)),
        (dt.datetime(2026, 6, 30, 0, 0), Deadline(D(2026, 6, 30), "2026-06-30", False)),
        (dt.datetime(2026, 6, 30, 17, 45, 10), Deadline(D(2026, 6, 30), "2026-06-30", False)),
        (2027, Deadline(D(2027, 12, 31), "2027", False)),
        (2027.0, Deadline(D(2027, 12, 31), "2027", False)),
    ],
)
def test_parses_spreadsheet_values(value: dt.date | int | float, expected: Deadline) -> None:
    result = parse_deadline(value)
    assert result == expected
    assert type(result.date) is dt.date


@pytest.mark.parametrize("value", [None, "", "   ", "\u3000", "\n"])
def test_empty_values_give_an_empty_deadline(value: str | None) -> None:
    assert parse_deadline(value) == Deadline(None, "", False)


@pytest.mark.parametrize(
    ("text", "default_year", "expected"),
    [
        ("12月底", 2025, D(2025, 12, 31)),
        ("6月", 2026, D(2026, 6, 30)),
        ("6月30日", 2026, D(2026, 6, 30)),
        ("年底", 2025, D(2025, 12, 31)),
        ("年内", 2025, D(2025, 12, 31)),
        ("上半年", 2025, D(2025, 6, 30)),
        ("下半年", 2025, D(2025, 12, 31)),
        ("三季度", 2025, D(2025, 9, 30)),
        ("第一季度", 2025, D(2025, 3, 31)),
        ("Q2", 2025, D(2025, 6, 30)),
        ("2027年底", 2025, D(2027, 12, 31)),
    ],
)
def test_default_year_fills_in_missing_years(text: str, default_year: int, expected: dt.date) -> None:
    assert parse_deadline(text, default_year=default_year) == Deadline(expected, text, False)


@pytest.mark.parametrize(
    "value",
    [
        "明年",
        "尽快",
        "ASAP",
        "2025年13月",
        "2025-13",
        "2025-00-10",
        "2025-02-30",
        "2025年2月30日",
        "2025/12-31",
        "2025年第五季度",
        "2025年Q5",
        "2025年年",
        "25年底",
        "1231",
        "3000年",
        "20251231",
        "12月底",
        "年底",
        "前",
        "2025年底前后",
        "持续推进中",
        2027.5,
        46022,
        True,
    ],
)
def test_rejects_unrecognised_deadlines(value: str | float | int) -> None:
    with pytest.raises(BadDeadline):
        parse_deadline(value)


@pytest.mark.parametrize(("text", "default_year"), [("底", 2025), ("12-31", 2025), ("2025年13月", 2025)])
def test_default_year_does_not_rescue_unrecognised_forms(text: str, default_year: int) -> None:
    with pytest.raises(BadDeadline):
        parse_deadline(text, default_year=default_year)


def test_bad_deadline_message_is_bilingual_and_names_the_text() -> None:
    with pytest.raises(BadDeadline) as excinfo:
        parse_deadline("  明年 ")
    error = excinfo.value
    assert isinstance(error, ValueError)
    assert error.text == "明年"
    message = str(error)
    assert message.startswith(
        '无法识别的完成时限 "明年"（可用格式：2025-12-31、2025年12月、2025年底、2026年6月底、2027年、持续推进）'
    )
    assert 'unrecognised deadline "明年"' in message


def test_bad_deadline_survives_pickling() -> None:
    clone = pickle.loads(pickle.dumps(BadDeadline("明年")))
    assert (clone.text, str(clone)) == ("明年", str(BadDeadline("明年")))


def test_deadline_is_frozen() -> None:
    deadline = parse_deadline("2025年底")
    with pytest.raises(AttributeError):
        deadline.ongoing = True  # type: ignore[misc]
