"""Template helpers of the 赛马比拼 pages: a colour's swatch and label from the round's own rule spec, change arrows."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from evaluation.rules import Colour, RuleSpec
from evaluation.rules.config import Swatch

register = template.Library()


@register.filter
def swatch(spec: RuleSpec, colour: str) -> Swatch | None:
    """The rule spec's swatch of a colour (None for a value that is not one of the six)."""
    try:
        return spec.swatch(Colour(colour))
    except ValueError:
        return None


@register.filter
def colour_label(spec: RuleSpec, colour: str) -> str:
    """A colour's label from the spec, in the reader's language."""
    found = swatch(spec, colour)
    if found is None:
        return colour
    return found.label_en if get_language() == "en" and found.label_en else found.label


@register.filter
def swatch_label(found: Swatch) -> str:
    return found.label_en if get_language() == "en" and found.label_en else found.label


@register.filter
def change(value: int | None) -> str:
    """A rank change as an arrow: ▲3 moved up three places, ▼2 down two, — unchanged; empty without a previous."""
    if value is None:
        return ""
    return f"▲{value}" if value > 0 else f"▼{-value}" if value < 0 else "—"


@register.filter
def signed(value) -> str:
    """A score change with its sign (+1.50 / −0.75); empty without a previous."""
    if value is None:
        return ""
    return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "±0"
