"""The unit score, the ranking and the colour by the dual condition, and the annual result."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from evaluation.rules import DEFAULT_SPEC, Colour, UnitFacts, annual_score, rank_track, unit_score
from evaluation.rules.scoring import IndicatorShare, ItemEntry, ProcessCounts, TaskShare, attainment

D = Decimal


def facts(unit="u", *, f2=("80", "100"), indicators=(), process=None, rubric=(), items=(), light=Colour.GREEN,
          importance="normal") -> UnitFacts:  # fmt: skip
    actual, expected = f2
    return UnitFacts(
        unit=unit,
        tasks=(TaskShare("1.1", "lead", importance, D(expected), D(actual), light, title="任务一"),),
        indicators=indicators,
        process=process
        or ProcessCounts(parts_due=4, parts_on_time=4, reviewed=2, first_pass=2, claims=1, claims_with_evidence=1),
        rubric=rubric,
        items=items,
    )


def test_the_worked_example():
    """Two tasks (lead major, responsible normal), one indicator, process counts, two raters, a bonus and a 督办单."""
    unit = UnitFacts(
        unit="500101",
        tasks=(
            TaskShare("2.3.3", "lead", "major", D(60), D(45), Colour.YELLOW),  # A/E = 0.75, weight 1.5
            TaskShare("3.1.2", "responsible", "normal", D(40), D(40), Colour.GREEN),  # 1.0, weight 0.5
            TaskShare("4.1.1", "responsible", "normal", D(0), D(0), Colour.GREY),  # E = 0: not scored
        ),
        indicators=(IndicatorShare("I1", baseline=D(100), interim_target=D(140), actual=D(130)),),  # 0.75
        process=ProcessCounts(
            parts_due=10, parts_on_time=8, reviewed=4, first_pass=3, claims=5, claims_with_evidence=4
        ),
        rubric=((4, 4, 5), (3, 4, 4)),  # means 13/3 and 11/3 → 4 → (4 − 1) / 4 = 0.75
        items=(ItemEntry("model_case"), ItemEntry("duban", count=2)),
    )
    score = unit_score(unit)
    assert score.components["F1"] == D("0.75")
    assert score.components["F2"] == (D("1.5") * D("0.75") + D("0.5")) / 2  # 0.8125
    # F3 = 0.4 × 0.8 + 0.3 × 0.75 + 0.2 × 0.8 + 0.1 × 1.0 (督办 not yet measured) = 0.805
    assert score.components["F3"] == D("0.805")
    assert score.components["F4"] == D("0.75")
    assert (score.bonus, score.deductions, score.veto, score.scored_tasks) == (D(2), D(1), False, 2)
    # 100 × (0.35 × 0.75 + 0.35 × 0.8125 + 0.2 × 0.805 + 0.1 × 0.75) + 2 − 1 = 78.2875 + 1 → 79.29
    assert score.score == D("79.29")
    assert "duban_pending" in {note.code for note in score.notes}


def test_no_indicators_moves_f1s_weight_to_f2_and_no_rubric_shares_f4_pro_rata():
    score = unit_score(facts(f2=("100", "100")))
    assert score.components["F1"] is None and score.components["F4"] is None
    # F2 gets 0.35 + 0.35 = 0.7; F4's 0.1 shared pro rata over F2 0.7 and F3 0.2: × 1 / 0.9
    assert score.weights["F2"] == D("0.7") / D("0.9")
    assert score.weights["F4"] == 0
    assert sum(score.weights.values()) == pytest.approx(D(1))
    assert score.score == D("100.00")


def test_one_rater_is_not_enough_for_f4():
    assert unit_score(facts(rubric=((5, 5),))).components["F4"] is None
    assert unit_score(facts(rubric=((5, 5), (1, 1)))).components["F4"] == D("0.5")


@pytest.mark.parametrize(
    ("baseline", "target", "actual", "a"),
    [("100", "140", "130", "0.75"), ("100", "140", "150", "1"), ("100", "140", "90", "0"), ("1.0", "0.8", "0.9", "0.5"),
     ("1.0", "0.8", "1.1", "0"), ("5", "5", "5", "1"), ("100", "140", None, "0")],
)  # fmt: skip
def test_indicator_attainment_is_clamped_and_mirrors_for_lower_is_better(baseline, target, actual, a):
    share = IndicatorShare("I", D(baseline), D(target), None if actual is None else D(actual))
    assert attainment(share) == D(a)


def test_bonus_and_deductions_are_capped_per_item_and_in_total():
    items = (ItemEntry("indicator_exceeded", count=5), ItemEntry("national_recognition", count=9),
             ItemEntry("model_case", count=3))  # fmt: skip
    assert unit_score(facts(items=items)).bonus == D(10)  # 3 + 3 + 6 = 12 → 10
    assert unit_score(facts(items=(ItemEntry("indicator_exceeded", count=5),))).bonus == D(3)
    assert unit_score(facts(items=(ItemEntry("yuetan", count=9),))).deductions == D(15)


def test_a_veto_item_makes_the_unit_red_whatever_its_score():
    scores = [unit_score(facts("a", f2=("100", "100"), items=(ItemEntry("falsified"),)))] + [
        unit_score(facts(code, f2=("50", "100"))) for code in "bcdefghij"
    ]
    standing = {s.unit: s for s in rank_track(scores)}
    assert standing["a"].rank == 1 and standing["a"].score == D("95.00")
    assert standing["a"].colour == Colour.RED
    assert "veto" in {reason.code for reason in standing["a"].reasons}


def scored(unit: str, score: str, *, enough=True, veto=False, major_red=()):
    from evaluation.rules.scoring import UnitScore

    return UnitScore(unit, D(score), {}, {}, {}, D(0), D(0), veto, 1 if enough else 0, enough, major_red, ())


def test_competition_ranking_shares_ranks_and_orders_ties_by_code():
    ranked = rank_track([scored("c", "80"), scored("b", "90"), scored("a", "80"), scored("d", "70")])
    assert [(s.unit, s.rank) for s in ranked] == [("b", 1), ("a", 2), ("c", 2), ("d", 4)]


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # ten units: top 20 % = fewer than 2 ahead; bottom 20 % = fewer than 2 behind
        (["95", "92", "91", "85", "82", "75", "72", "65", "58", "50"],
         ["blue", "blue", "green", "green", "green", "yellow", "yellow", "orange", "red", "red"]),
        # everyone ≥ 90: only the top two stay blue; nobody is below 60
        (["99", "98", "97", "96", "95", "94", "93", "92", "91", "90"],
         ["blue", "blue", "green", "green", "green", "green", "green", "green", "green", "green"]),
        # everyone < 60: only the bottom two are red, the rest orange
        (["59", "58", "57", "56", "55", "54", "53", "52", "51", "50"],
         ["orange", "orange", "orange", "orange", "orange", "orange", "orange", "orange", "red", "red"]),
        # ties at the edge: three share rank 1 (0 ahead < 2): all blue
        (["95", "95", "95", "80"], ["blue", "blue", "blue", "green"]),
        # score edges: 90 / 80 / 70 / 60 belong to the upper band
        (["90", "80", "70", "60", "59.99"], ["blue", "green", "yellow", "orange", "red"]),
    ],
)  # fmt: skip
def test_the_dual_condition(scores, expected):
    units = [scored(f"u{i:02d}", score) for i, score in enumerate(scores)]
    ranked = {s.unit: s.colour for s in rank_track(units)}
    assert [ranked[f"u{i:02d}"] for i in range(len(scores))] == expected


def test_too_little_data_is_grey_and_unranked_and_a_major_red_light_holds_the_unit_at_orange():
    ranked = {s.unit: s for s in rank_track([scored("a", "95", major_red=("2.3.3",)), scored("b", "40"),
                                             scored("c", "99", enough=False)])}  # fmt: skip
    assert (ranked["a"].rank, ranked["a"].colour) == (1, Colour.ORANGE)
    assert (ranked["c"].rank, ranked["c"].colour) == (None, Colour.GREY)


ALL = replace(DEFAULT_SPEC, major_red_scope="all")


@pytest.mark.parametrize(
    ("role", "importance", "light", "spec", "capped"),
    [
        # the lead unit of a red major task is held at orange whatever the scope
        ("lead", "major", Colour.RED, DEFAULT_SPEC, True),
        ("lead", "major", Colour.RED, ALL, True),
        # a unit with only a part in it: held under "all" (the old rule), not under "lead" (the default)
        ("responsible", "major", Colour.RED, DEFAULT_SPEC, False),
        ("responsible", "major", Colour.RED, ALL, True),
        # only a red light on a major task caps
        ("lead", "major", Colour.ORANGE, ALL, False),
        ("lead", "normal", Colour.RED, ALL, False),
        ("responsible", "normal", Colour.RED, ALL, False),
    ],
)  # fmt: skip
def test_a_red_major_task_caps_its_lead_unit_and_under_scope_all_every_unit_with_a_part(role, importance, light,
                                                                                        spec, capped):  # fmt: skip
    share = TaskShare("2.3.3", role, importance, D(100), D(100), light, title="推动生产过程智能化")
    top = unit_score(UnitFacts("a", tasks=(share,), process=ProcessCounts(parts_due=1, parts_on_time=1)), spec)
    others = [unit_score(facts(code, f2=("50", "100")), spec) for code in "bcdefghij"]
    standing = {s.unit: s for s in rank_track([top, *others], spec)}["a"]
    assert standing.score == D("100.00") and standing.rank == 1
    assert standing.colour == (Colour.ORANGE if capped else Colour.BLUE)
    assert top.major_red_tasks == (("2.3.3",) if capped else ())
    reasons = [reason.text for reason in standing.reasons]
    assert reasons == (["重大任务“推动生产过程智能化”亮红灯"] if capped else [])  # the reason names the task


def test_changes_against_the_previous_period():
    ranked = {s.unit: s for s in rank_track([scored("a", "85"), scored("b", "90")],
                                            previous={"a": (D("88"), 1), "b": (D("80"), 2)})}  # fmt: skip
    assert (ranked["a"].score_change, ranked["a"].rank_change) == (D("-3"), -1)
    assert (ranked["b"].score_change, ranked["b"].rank_change) == (D("10"), 1)


def test_the_annual_result_weights_the_quarters():
    assert annual_score({1: D(80), 2: D(80), 3: D(80), 4: D(80)}) == D("80.00")
    assert annual_score({1: D(100), 2: D(0), 3: D(0), 4: D(0)}) == D("15.00")
    assert annual_score({1: D(60), 2: D(80)}) == D("71.43")  # (9 + 16) / 0.35
    assert annual_score({}) is None
