"""Properties of the pure evaluation rules (issue 8, section 3), checked on generated facts (hypothesis):

- approving more (a milestone's weight, a better indicator value) never worsens a task's light;
- ranks are consistent with scores (competition ranking: 1 + the units with a strictly higher score);
- every unit of a track gets exactly one standing, ranked when it has enough data;
- a unit's score equals the sum of the components it shows (100 × Σ weight × F, + bonus − deductions).

The example counts are modest (the file runs in seconds); on CI the examples are fixed (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluation.rules import DEFAULT_SPEC, Colour, UnitScore, rank_track, task_light, unit_score
from evaluation.rules.colours import SEVERITY
from evaluation.rules.lights import IndicatorFacts, MilestoneFacts, TaskFacts
from evaluation.rules.ranking import competition_ranks
from evaluation.rules.scoring import COMPONENTS, IndicatorShare, ItemEntry, ProcessCounts, TaskShare, UnitFacts

D = Decimal
AS_OF = date(2025, 10, 15)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
BY_AS_OF = st.dates(min_value=date(2024, 1, 1), max_value=AS_OF)
PERIODS = ("2025-Q1", "2025-Q2", "2025-Q3", "2025-07", "2025-08")


def decimals(low: str, high: str, places: int = 1) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False, allow_infinity=False)


# --- the task light ----------------------------------------------------------------------------------------------

milestones = st.builds(
    MilestoneFacts, title=st.sampled_from("abcdef"), due=DAYS, weight=decimals("0.1", "5"),
    done_on=st.none() | DAYS,
)


@st.composite
def indicators(draw: st.DrawFn) -> IndicatorFacts:
    """An indicator whose final target differs from its baseline (either direction), targets after the baseline."""
    baseline_on = draw(st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 6, 30)))
    baseline = draw(decimals("0", "1000"))
    offsets = draw(st.lists(st.integers(min_value=30, max_value=1500), min_size=1, max_size=3, unique=True))
    values = draw(st.lists(decimals("0", "1000"), min_size=len(offsets), max_size=len(offsets)))
    days = (baseline_on + timedelta(days=offset) for offset in offsets)
    targets = tuple(sorted(zip(days, values, strict=True)))
    assume(targets[-1][1] != baseline)
    return IndicatorFacts(name="I", baseline=baseline, baseline_on=baseline_on, targets=targets,
                          actual=draw(st.none() | decimals("0", "1000")), weight=draw(decimals("0.5", "3")))


task_facts = st.builds(
    TaskFacts,
    milestones=st.lists(milestones, max_size=6).map(tuple),
    indicators=st.lists(indicators(), max_size=3).map(tuple),
    reported=st.booleans(),
    missed_periods=st.lists(st.sampled_from(PERIODS), max_size=3, unique=True).map(tuple),
)


def no_worse(after: Colour, before: Colour) -> bool:
    """Grey (nothing due, nothing reported) may only stay grey or turn green once something is approved."""
    if before is Colour.GREY:
        return after in (Colour.GREY, Colour.GREEN)
    return after is not Colour.GREY and SEVERITY[after] <= SEVERITY[before]


@settings(max_examples=150)
@given(facts=task_facts, data=st.data())
def test_approving_a_milestone_never_worsens_the_light(facts: TaskFacts, data: st.DataObject) -> None:
    open_ = [i for i, m in enumerate(facts.milestones) if m.done_on is None or m.done_on > AS_OF]
    assume(open_)
    index = data.draw(st.sampled_from(open_), label="milestone approved")
    done_on = data.draw(BY_AS_OF, label="its completion date")
    approved = list(facts.milestones)
    approved[index] = replace(approved[index], done_on=done_on)
    before = task_light(facts, AS_OF)
    after = task_light(replace(facts, milestones=tuple(approved), reported=True), AS_OF)
    assert no_worse(after.colour, before.colour), (before, after)
    assert after.actual >= before.actual and after.gap <= before.gap
    for (name, colour), (_same, was) in zip(after.tests, before.tests, strict=False):
        assert SEVERITY[colour] <= SEVERITY[was], name


@settings(max_examples=150)
@given(facts=task_facts, data=st.data())
def test_approving_a_better_indicator_value_never_worsens_the_light(facts: TaskFacts, data: st.DataObject) -> None:
    assume(facts.indicators)
    facts = replace(facts, milestones=())  # indicators judge a task only when it has no milestones
    index = data.draw(st.integers(min_value=0, max_value=len(facts.indicators) - 1), label="indicator")
    indicator = facts.indicators[index]
    towards = 1 if indicator.targets[-1][1] > indicator.baseline else -1  # higher or lower is better
    step = data.draw(decimals("0", "500"), label="improvement")
    start = indicator.baseline if indicator.actual is None else indicator.actual
    better = list(facts.indicators)
    better[index] = replace(indicator, actual=start + towards * step)
    before = task_light(facts, AS_OF)
    after = task_light(replace(facts, indicators=tuple(better), reported=True), AS_OF)
    assert no_worse(after.colour, before.colour), (before, after)
    assert after.actual >= before.actual


# --- the score ---------------------------------------------------------------------------------------------------

task_shares = st.builds(
    TaskShare, code=st.sampled_from(("1.1", "1.2", "2.1", "3.4")), role=st.sampled_from(("lead", "responsible")),
    importance=st.sampled_from(("major", "normal")), expected=decimals("0", "100"), actual=decimals("0", "100"),
    light=st.sampled_from(list(Colour)),
)
indicator_shares = st.builds(
    IndicatorShare, code=st.just("I"), baseline=decimals("0", "500"), interim_target=decimals("0", "500"),
    actual=st.none() | decimals("0", "600"), weight=decimals("0.5", "2"),
    direction=st.sampled_from(("higher", "lower")),
)


@st.composite
def process_counts(draw: st.DrawFn) -> ProcessCounts:
    due, reviewed, claims = (draw(st.integers(min_value=0, max_value=12)) for _ in range(3))
    return ProcessCounts(
        parts_due=due, parts_on_time=draw(st.integers(min_value=0, max_value=due)),
        reviewed=reviewed, first_pass=draw(st.integers(min_value=0, max_value=reviewed)),
        claims=claims, claims_with_evidence=draw(st.integers(min_value=0, max_value=claims)),
        duban_due=draw(st.none() | st.integers(min_value=0, max_value=5)),
        duban_on_time=draw(st.integers(min_value=0, max_value=5)),
    )


ITEM_CODES = [item.code for item in (*DEFAULT_SPEC.bonus, *DEFAULT_SPEC.deductions)]
unit_facts = st.builds(
    UnitFacts,
    unit=st.just("u"),
    tasks=st.lists(task_shares, max_size=5).map(tuple),
    indicators=st.lists(indicator_shares, max_size=3).map(tuple),
    process=process_counts(),
    rubric=st.lists(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4).map(tuple),
                    max_size=3).map(tuple),
    items=st.lists(st.builds(ItemEntry, code=st.sampled_from(ITEM_CODES), count=st.integers(min_value=0, max_value=8)),
                   max_size=6).map(tuple),
)


@settings(max_examples=200)
@given(facts=unit_facts)
def test_the_score_is_the_sum_of_its_shown_components(facts: UnitFacts) -> None:
    score = unit_score(facts)
    # What the breakdown shows (evaluation.services: components, weights, bonus and deductions as strings), read back.
    shown = {name: (score.components[name], score.weights[name]) for name in COMPONENTS}
    total = sum((D(str(w)) * D(str(f)) for f, w in shown.values() if f is not None), D(0))
    expected = (100 * total + D(str(score.bonus)) - D(str(score.deductions))).quantize(D("0.01"), ROUND_HALF_UP)
    assert score.score == expected
    for name, (value, weight) in shown.items():
        assert value is None or D(0) <= value <= 1, name
        assert weight >= 0 and (value is not None or weight == 0), name  # an absent component shows no weight
    if any(value is not None for value, _w in shown.values()):
        assert abs(sum(score.weights.values(), D(0)) - 1) < D("1e-20")  # the weights used still sum to 1
    assert D(0) <= score.bonus <= DEFAULT_SPEC.bonus_cap and D(0) <= score.deductions <= DEFAULT_SPEC.deduction_cap


# --- the ranking -------------------------------------------------------------------------------------------------

#: Scores drawn from a coarse grid, so that ties are common.
scores = st.decimals(min_value=40, max_value=100, places=0) | decimals("40", "100", places=2)


@st.composite
def track(draw: st.DrawFn) -> list[UnitScore]:
    """The units of one track (distinct codes), each with a score, some with too little data or a veto."""
    codes = draw(st.lists(st.from_regex(r"5001[0-9]{2}", fullmatch=True), min_size=1, max_size=12, unique=True))
    base = unit_score(UnitFacts(unit="base"))
    return [
        replace(base, unit=code, score=draw(scores), enough_data=draw(st.booleans() | st.just(True)),
                veto=draw(st.sampled_from((False, False, False, True))))
        for code in codes
    ]


@settings(max_examples=200)
@given(units=track())
def test_every_unit_of_a_track_gets_exactly_one_rank_or_none_without_enough_data(units: list[UnitScore]) -> None:
    standings = rank_track(units)
    assert sorted(s.unit for s in standings) == sorted(u.unit for u in units)
    ranked = [s for s in standings if s.rank is not None]
    assert {s.unit for s in ranked} == {u.unit for u in units if u.enough_data}
    assert all(1 <= s.rank <= len(ranked) for s in ranked)  # type: ignore[operator]
    assert all(s.colour is Colour.GREY for s in standings if s.rank is None)
    keys = [(s.rank is None, s.rank or 0, s.unit) for s in standings]
    assert keys == sorted(keys), "ordered by rank, then unit code, the unranked last"


@settings(max_examples=200)
@given(units=track())
def test_ranks_are_consistent_with_scores(units: list[UnitScore]) -> None:
    ranked = [s for s in rank_track(units) if s.rank is not None]
    for a in ranked:
        assert a.rank == 1 + sum(1 for b in ranked if b.score > a.score), a
        for b in ranked:
            if a.score > b.score:
                assert a.rank < b.rank  # type: ignore[operator]
            elif a.score == b.score:
                assert a.rank == b.rank
    assert {s.unit: s.rank for s in ranked} == competition_ranks({s.unit: s.score for s in ranked})
    assert all(s.colour is Colour.RED for s in ranked if next(u for u in units if u.unit == s.unit).veto)
