"""Report content is parsed at the edge: what is not plainly a number, a date or short enough is a field error,
and nothing is rounded or cut silently (issue 7, item 9; issue 6 §2)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from workflow.inputs import NARRATIVE_MAX, report_content

ROW = "indicator_values[0]"


@pytest.mark.parametrize(("data", "field"), [
    ({"percent_complete": "１２"}, "percent_complete"),
    ({"percent_complete": "1_0"}, "percent_complete"),
    ({"percent_complete": "NaN"}, "percent_complete"),
    ({"percent_complete": "sNaN"}, "percent_complete"),
    ({"percent_complete": "Infinity"}, "percent_complete"),
    ({"percent_complete": "1e1"}, "percent_complete"),
    ({"percent_complete": "99.999"}, "percent_complete"),
    ({"percent_complete": "100.01"}, "percent_complete"),
    ({"indicator_values": [{"indicator": 1, "value": "1e30"}]}, ROW),
    ({"indicator_values": [{"indicator": 1, "value": "1" * 24}]}, ROW),
    ({"indicator_values": [{"indicator": 1, "value": "1.23456"}]}, ROW),
    ({"indicator_values": [{"indicator": 1, "value": "1_000"}]}, ROW),
    ({"narrative": "进" * (NARRATIVE_MAX + 1)}, "narrative"),
    ({"milestone_claims": [{"milestone": 1, "completed_date": "2025-13-01"}]}, "milestone_claims[0]"),
    ({"milestone_claims": "not a list"}, "milestone_claims"),
    ({"narrative": "进展\x00"}, "narrative"),
    ({"milestone_claims": [{"milestone": 1, "completed_date": "2025-01-01", "evidence": "\x00"}]},
     "milestone_claims[0]"),
])
def test_what_is_not_plainly_valid_is_a_field_error(data, field):
    with pytest.raises(ValidationError) as raised:
        report_content(data)
    assert list(raised.value.message_dict) == [field]


@pytest.mark.parametrize(("typed", "value"), [
    ("12", Decimal("12")), (" 12.5 ", Decimal("12.5")), ("-3.25", Decimal("-3.25")), (".5", Decimal("0.5")),
    ("1234567890123456.1234", Decimal("1234567890123456.1234")), (Decimal("7.10"), Decimal("7.10")), (3, Decimal(3)),
])
def test_plain_numbers_are_read_exactly(typed, value):
    content = report_content({"indicator_values": [{"indicator": 1, "value": typed}], "percent_complete": "99.99"})
    assert content.indicator_values[0].value == value
    assert content.percent_complete == Decimal("99.99")
