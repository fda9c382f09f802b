"""Template helpers of the 赛马比拼 pages: a colour's swatch and label from the round's own rule spec, change arrows."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy

from evaluation.rules import Colour, RuleSpec
from evaluation.rules.config import Swatch
from evaluation.rules.reasons import worded

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


@register.filter
def reasons_text(reasons: list[dict]) -> list[str]:
    """Stored reasons ({code, values}) in the reader's language."""
    return worded(reasons or [])


@register.simple_tag
def stored_swatch(spec_data: dict, colour: str) -> dict:
    """A colour's swatch from a round's stored spec (plain data: no parsing per row): {label, hex}."""
    for entry in (spec_data or {}).get("palette", []):
        if entry.get("colour") == colour:
            label = entry.get("label_en") if get_language() == "en" and entry.get("label_en") else entry.get("label")
            return {"label": label or colour, "hex": entry.get("hex", "#999999")}
    return {"label": colour, "hex": "#999999"}


#: What a task's light says (DOMAIN.md's light table); the rule set's palette labels judge units, not tasks.
LIGHT_LABELS = {
    Colour.BLUE: gettext_lazy("已完成"),
    Colour.GREEN: gettext_lazy("正常推进"),
    Colour.YELLOW: gettext_lazy("需关注"),
    Colour.ORANGE: gettext_lazy("滞后"),
    Colour.RED: gettext_lazy("严重滞后"),
    Colour.GREY: gettext_lazy("未启动"),
}


@register.filter
def light_label(colour: str) -> str:
    """A task light's meaning in words (the swatch's fill still comes from the rule spec)."""
    try:
        return str(LIGHT_LABELS[Colour(colour)])
    except ValueError:
        return colour


@register.simple_tag
def sparkline(history: dict, unit_id: int) -> str:
    """A unit's score over the last rounds as a small inline SVG line (server-drawn, no script, prints), with the
    scores in its title; empty with fewer than two rounds."""
    values = [float(value) for value in (history or {}).get(unit_id, [])]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    width, height = 64, 18
    step = width / (len(values) - 1)
    points = " ".join(f"{n * step:.1f},{height - 2 - (value - low) / span * (height - 4):.1f}"
                      for n, value in enumerate(values))  # fmt: skip
    title = " → ".join(f"{value:g}" for value in values)
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}"><title>{}</title>'
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{}"/></svg>',
        width, height, width, height, title, title, points,
    )


@register.simple_tag(takes_context=True)
def unit_tip(context: template.Context, result) -> str:
    """A unit's facts in the round (evaluation/_tip.txt), rendered once for the data-tip, the label and the title that
    repeat it."""
    tip = context.template.engine.get_template("evaluation/_tip.txt")
    with context.push(r=result):
        return tip.render(context)
