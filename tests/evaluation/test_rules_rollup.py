"""A parent task's light rolls up from the tasks below it: the worst judged colour (its own included when it is
judged), grey only when nothing below is judged; the reasons name the sub-tasks that made the colour."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.rules import Colour, Light
from evaluation.rules.lights import NOTHING, roll_up, roll_up_tree
from evaluation.rules.reasons import Reason


def light(colour: str, expected: str = "50", actual: str = "50", overdue: int = 0, missed: int = 0) -> Light:
    e, a = Decimal(expected), Decimal(actual)
    return Light(Colour(colour), e, a, e - a, overdue, missed, (Reason("gap", {"gap": e - a}),))


@pytest.mark.parametrize(
    ("children", "own", "colour"),
    [
        (("green", "red"), None, "red"),
        (("blue", "green"), None, "green"),
        (("blue", "blue"), None, "blue"),
        (("grey", "yellow"), None, "yellow"),
        (("grey", "grey"), None, "grey"),
        (("green",), "orange", "orange"),
        (("green",), "grey", "green"),
    ],
)
def test_the_worst_judged_colour(children, own, colour):
    rolled = roll_up(light(own) if own else None, [(f"1.{n}", light(c)) for n, c in enumerate(children)])
    assert rolled.colour == colour


def test_the_reasons_name_the_sub_tasks_that_made_the_colour_and_the_figures_summarise_them():
    rolled = roll_up(None, [("1.1", light("green", "40", "40")), ("1.2", light("red", "80", "20", overdue=30)),
                            ("1.3", light("red", "60", "30", missed=2))])  # fmt: skip
    assert rolled.reasons[0] == Reason("rolled_up", {"tasks": "1.2、1.3"})
    assert rolled.reasons[1:] == light("red", "80", "20").reasons
    assert (rolled.expected, rolled.actual, rolled.overdue_days, rolled.missed_rounds) == (
        Decimal("60.0"), Decimal("30.0"), 30, 2)
    assert roll_up(None, [("1.1", NOTHING)]) == NOTHING


def test_a_tree_rolls_up_from_the_bottom():
    tree = {1: (None, "1"), 2: (1, "1.1"), 3: (2, "1.1.1"), 4: (2, "1.1.2"), 5: (1, "1.2"), 6: (None, "2")}
    lights = {1: NOTHING, 2: NOTHING, 3: light("green"), 4: light("red"), 5: light("yellow"), 6: light("blue")}
    rolled = roll_up_tree(lights, tree)
    assert {key: str(each.colour) for key, each in rolled.items()} == {
        1: "red", 2: "red", 3: "green", 4: "red", 5: "yellow", 6: "blue"}
    assert rolled[1].reasons[0] == Reason("rolled_up", {"tasks": "1.1"})
