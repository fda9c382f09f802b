"""The task light, table by table: each band edge of each test, grey and blue, indicators in time, the reasons."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from evaluation.rules import Colour, IndicatorFacts, MilestoneFacts, TaskFacts, one_level_apart, task_light, worst
from evaluation.rules.lights import band, interpolate

AS_OF = date(2025, 6, 30)
D = Decimal


def milestones_for_gap(gap: str) -> TaskFacts:
    """Two milestones, both due, weights chosen so that E = 100 and A = 100 − gap (nothing overdue: done late is
    impossible here because the undone one is due today)."""
    done = D(100) - D(gap)
    return TaskFacts(
        milestones=(
            MilestoneFacts("做完的", AS_OF - timedelta(days=10), weight=done, done_on=AS_OF - timedelta(days=10)),
            MilestoneFacts("今天到期", AS_OF, weight=D(gap)),
        ),
        reported=True,
    )


@pytest.mark.parametrize(
    ("gap", "colour"),
    [("0", "green"), ("5", "green"), ("5.1", "yellow"), ("15", "yellow"), ("15.1", "orange"), ("30", "orange"),
     ("30.1", "red"), ("100", "red")],
)  # fmt: skip
def test_the_gap_test_at_each_band_edge(gap, colour):
    light = task_light(milestones_for_gap(gap), AS_OF)
    assert (light.expected, light.gap, light.overdue_days) == (D(100), D(gap), 0)
    assert light.colour == colour


@pytest.mark.parametrize(
    ("days", "colour"),
    [(0, "green"), (1, "yellow"), (7, "yellow"), (8, "orange"), (15, "orange"), (16, "red"), (400, "red")],
)
def test_the_overdue_test_at_each_band_edge(days, colour):
    """One small milestone late (gap stays green: 1 of 100 points), the rest done on time."""
    facts = TaskFacts(
        milestones=(
            MilestoneFacts("主体工程", AS_OF - timedelta(days=30), weight=D(99), done_on=AS_OF - timedelta(days=30)),
            MilestoneFacts("验收", AS_OF - timedelta(days=days), weight=D(1)),
        ),
        reported=True,
    )
    light = task_light(facts, AS_OF)
    assert light.overdue_days == days
    assert light.colour == colour


@pytest.mark.parametrize(("missed", "colour"), [(0, "green"), (1, "orange"), (2, "red"), (5, "red")])
def test_the_missed_rounds_test_at_each_band_edge(missed, colour):
    periods = ("2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3")[:missed]
    facts = TaskFacts(milestones=(MilestoneFacts("年度目标", date(2025, 12, 31)),), missed_periods=periods)
    light = task_light(facts, AS_OF)
    assert light.missed_rounds == missed
    assert light.colour == (colour if missed else "grey")  # nothing due, nothing reported, nothing missed: grey


def test_the_light_is_the_worst_of_the_three_tests():
    facts = TaskFacts(
        milestones=(
            MilestoneFacts("一", AS_OF - timedelta(days=3), weight=D(20)),  # overdue 3 days: yellow
            MilestoneFacts("二", AS_OF + timedelta(days=90), weight=D(80)),
        ),
        missed_periods=("2025-Q1",),  # orange
    )
    light = task_light(facts, AS_OF)  # gap 20: orange
    assert dict(light.tests) == {"gap": "orange", "overdue_days": "yellow", "missed_rounds": "orange"}
    assert light.colour == Colour.ORANGE


def test_grey_only_while_nothing_is_due_and_nothing_reported():
    later = TaskFacts(milestones=(MilestoneFacts("年底", date(2025, 12, 31)),))
    assert task_light(later, AS_OF).colour == Colour.GREY
    reported = TaskFacts(milestones=later.milestones, reported=True)
    assert task_light(reported, AS_OF).colour == Colour.GREEN
    assert task_light(TaskFacts(), AS_OF).colour == Colour.GREY


def test_an_overdue_milestone_with_nothing_reported_is_judged_not_grey():
    facts = TaskFacts(milestones=(MilestoneFacts("启动", AS_OF - timedelta(days=20)),))
    light = task_light(facts, AS_OF)
    assert (light.colour, light.expected, light.actual, light.overdue_days) == (Colour.RED, D(100), D(0), 20)


def test_blue_when_accepted_as_done_whatever_else():
    facts = TaskFacts(milestones=(MilestoneFacts("启动", AS_OF - timedelta(days=20)),), accepted=True)
    assert task_light(facts, AS_OF).colour == Colour.BLUE


def test_a_milestone_done_after_as_of_is_not_done_yet_and_done_early_counts():
    early = MilestoneFacts("提前", AS_OF + timedelta(days=60), weight=D(50), done_on=AS_OF - timedelta(days=1))
    late = MilestoneFacts("按期", AS_OF - timedelta(days=2), weight=D(50), done_on=AS_OF + timedelta(days=5))
    light = task_light(TaskFacts(milestones=(early, late), reported=True), AS_OF)
    assert (light.expected, light.actual, light.gap, light.overdue_days) == (D(50), D(50), D(0), 2)


def test_an_indicator_task_expects_its_targets_interpolated_in_time():
    """Baseline 100 at the end of 2022, interim 160 at the end of 2024, final 200 at the end of 2027."""
    indicator = IndicatorFacts(
        "规上工业营收",
        baseline=D(100),
        baseline_on=date(2022, 12, 31),
        targets=((date(2024, 12, 31), D(160)), (date(2027, 12, 31), D(200))),
        actual=D(150),
    )
    at_2024_end = task_light(TaskFacts(indicators=(indicator,), reported=True), date(2024, 12, 31))
    assert (at_2024_end.expected, at_2024_end.actual, at_2024_end.gap) == (D(60), D(50), D(10))
    assert at_2024_end.colour == Colour.YELLOW
    halfway = interpolate(((date(2022, 12, 31), D(100)), (date(2024, 12, 31), D(160))), date(2024, 1, 1))
    assert D(129) < halfway < D(131)


def test_a_lower_is_better_indicator_mirrors_by_itself():
    indicator = IndicatorFacts(
        "单位产值能耗",
        baseline=D(1.0),
        baseline_on=date(2022, 12, 31),
        targets=((date(2027, 12, 31), D("0.8")),),
        actual=D("0.9"),
    )
    light = task_light(TaskFacts(indicators=(indicator,), reported=True), date(2027, 12, 31))
    assert (light.expected, light.actual) == (D(100), D(50))


def test_reasons_in_words_name_the_milestone_the_gap_and_the_periods():
    facts = TaskFacts(
        milestones=(
            MilestoneFacts("完成项目备案", AS_OF - timedelta(days=12), weight=D(18)),
            MilestoneFacts("开工", AS_OF + timedelta(days=30), weight=D(82)),
        ),
        missed_periods=("2025-Q2",),
    )
    with translation.override("zh-hans"):
        words = [reason.text for reason in task_light(facts, AS_OF).reasons]
    assert words == [
        "节点“完成项目备案”逾期 12 天",
        "序时进度差 18.0 个百分点（应完成 18.0%，已完成 0.0%）",
        "2025-Q2 未报送",
    ]


def test_a_green_light_gives_no_reasons():
    assert task_light(milestones_for_gap("0"), AS_OF).reasons == ()


@pytest.mark.parametrize(
    ("colours", "rolled_up"),
    [(["green", "red", "yellow"], "red"), (["blue", "green"], "green"), (["blue", "blue"], "blue"),
     (["grey", "yellow"], "yellow"), (["grey", "grey"], "grey"), ([], "grey")],
)  # fmt: skip
def test_roll_up_is_the_worst_judged_child(colours, rolled_up):
    assert worst(Colour(c) for c in colours) == rolled_up


@pytest.mark.parametrize(
    ("computed", "wanted", "allowed"),
    [("green", "yellow", True), ("red", "orange", True), ("yellow", "green", True), ("green", "orange", False),
     ("red", "red", False), ("blue", "green", False), ("grey", "green", False), ("green", "blue", False)],
)  # fmt: skip
def test_an_override_moves_a_light_exactly_one_level(computed, wanted, allowed):
    assert one_level_apart(Colour(computed), Colour(wanted)) is allowed


def test_a_band_list_ends_open():
    from evaluation.rules.config import DEFAULT_SPEC

    assert band(D(10**6), DEFAULT_SPEC.lights.gap) == Colour.RED
