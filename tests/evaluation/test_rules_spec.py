"""The rule spec: DOMAIN.md's defaults, a lossless round trip through plain data, and every invalid field named."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from evaluation.rules import DEFAULT_SPEC, Colour, RuleSpec, RuleSpecError


def test_the_defaults_are_domain_md():
    spec = DEFAULT_SPEC
    assert (spec.weights.f1, spec.weights.f2, spec.weights.f3, spec.weights.f4) == tuple(
        Decimal(x) for x in ("0.35", "0.35", "0.20", "0.10")
    )
    assert [(b.upto, b.colour) for b in spec.lights.gap] == [
        (Decimal(5), "green"), (Decimal(15), "yellow"), (Decimal(30), "orange"), (None, "red"),
    ]  # fmt: skip
    assert spec.importance_weight("major") == Decimal("1.5") and spec.importance_weight("normal") == 1
    assert spec.quarter_weights == tuple(Decimal(x) for x in ("0.15", "0.20", "0.25", "0.40"))
    assert (spec.bonus_cap, spec.deduction_cap) == (10, 15)
    assert [item.code for item in spec.deductions if item.veto] == ["falsified"]
    assert (spec.major_red_light_colour, spec.major_red_scope) == ("orange", "lead")  # the lead unit answers for it
    assert [swatch.colour for swatch in spec.legend()] == list(Colour)
    assert spec.problems() == {}


def test_plain_data_round_trips_through_json():
    data = json.loads(json.dumps(DEFAULT_SPEC.to_data()))
    assert RuleSpec.from_data(data) == DEFAULT_SPEC


def test_missing_keys_keep_the_defaults_and_given_ones_apply():
    spec = RuleSpec.from_data({"weights": {"f1": "0.3", "f2": "0.4"}, "palette": DEFAULT_SPEC.to_data()["palette"]})
    assert (spec.weights.f1, spec.weights.f2, spec.weights.f3) == (Decimal("0.3"), Decimal("0.4"), Decimal("0.20"))


def test_an_item_without_a_cap_has_none():
    spec = RuleSpec.from_data({"bonus": [{"code": "x", "label": "试点", "points": 1}]})
    assert spec.bonus[0].cap is None and spec.bonus[0].veto is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"weights": {"f1": "0.5"}}, "weights"),
        ({"weights": {"f4": "-0.1", "f1": "0.55"}}, "weights"),
        ({"process": {"duban": "0.2"}}, "process"),
        ({"quarter_weights": ["0.25", "0.25", "0.25"]}, "quarter_weights"),
        ({"lights": {"gap": [{"upto": 15, "colour": "green"}, {"upto": 5, "colour": "yellow"},
                             {"upto": None, "colour": "red"}]}}, "lights.gap"),
        ({"lights": {"gap": [{"upto": 5, "colour": "green"}, {"upto": 15, "colour": "red"}]}}, "lights.gap"),
        ({"lights": {"missed_rounds": [{"upto": 0, "colour": "red"}, {"upto": None, "colour": "green"}]}},
         "lights.missed_rounds"),
        ({"bonus_cap": -1}, "bonus_cap"),
        ({"bonus": [{"code": "x", "label": "x", "points": 1, "cap": -2}]}, "bonus.0.cap"),
        ({"deductions": [{"code": "x", "label": "x", "points": -1}]}, "deductions.0.points"),
        ({"deductions": [{"code": "x", "label": "x"}]}, "deductions.0.points"),
        ({"bonus": [{"code": "a", "label": "x", "points": 1}, {"code": "a", "label": "y", "points": 1}]},
         "bonus.1.code"),
        ({"unit_bands": [{"colour": "green", "min_score": 60}, {"colour": "blue", "min_score": 90},
                         {"colour": "red", "min_score": None}]}, "unit_bands"),
        ({"rank_quantile": "0.7"}, "rank_quantile"),
        ({"palette": []}, "palette"),
        ({"weights": {"f1": "NaN"}}, "weights.f1"),
        ({"weights": {"f1": True}}, "weights.f1"),
        ({"min_scored_tasks": "3"}, "min_scored_tasks"),
        ({"lights": {"gap": [{"upto": 5, "colour": "purple"}, {"upto": None, "colour": "red"}]}},
         "lights.gap.0.colour"),
        ({"colour_of_the_year": "red"}, "colour_of_the_year"),
        ({"major_red_scope": "everyone"}, "major_red_scope"),
        ({"major_red_scope": ""}, "major_red_scope"),
        ({"major_red_scope": ["lead"]}, "major_red_scope"),
    ],
)  # fmt: skip
def test_every_invalid_field_is_named(data, field):
    with pytest.raises(RuleSpecError) as caught:
        RuleSpec.from_data(data)
    assert field in caught.value.errors, caught.value.errors
    assert all(isinstance(message, str) and message for message in caught.value.errors.values())
