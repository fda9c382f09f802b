"""The six colours, by their API names, and the two operations the rules need on them: the worst of several, and
whether a supervisor's override moves a light exactly one level.

Severity is a fixed order of judgement (blue = done is the best, red the worst); grey (no data yet) is outside it.
How a colour is *labelled and drawn* (some places read red as honour) is configuration: see ``RuleSpec.palette``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Colour(StrEnum):
    BLUE = "blue"
    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"
    GREY = "grey"


# Judged colours, best first. Grey is not judged: it says there is nothing to judge yet.
JUDGED = (Colour.BLUE, Colour.GREEN, Colour.YELLOW, Colour.ORANGE, Colour.RED)
SEVERITY = {colour: level for level, colour in enumerate(JUDGED)}


def worst(colours: Iterable[Colour]) -> Colour:
    """The roll-up of several lights: the worst judged colour; grey only when nothing was judged (or nothing given)."""
    judged = [Colour(colour) for colour in colours if Colour(colour) is not Colour.GREY]
    return max(judged, key=SEVERITY.__getitem__) if judged else Colour.GREY


def one_level_apart(computed: Colour, wanted: Colour) -> bool:
    """A supervisor may move a light one level along green → yellow → orange → red. Blue (accepted as done) and grey
    (nothing to judge) are facts, not judgements, and are neither moved nor reached by an override."""
    scale = JUDGED[1:]
    if computed not in scale or wanted not in scale:
        return False
    return abs(scale.index(computed) - scale.index(wanted)) == 1
