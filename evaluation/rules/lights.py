"""The task light (亮灯): expected progress E, actual A, gap G = E − A, days overdue and missed rounds, judged by the
rule spec's bands; the light is the worst of the three tests. Pure: the caller passes the facts and ``as_of``.

- E: the weight share of milestones due by ``as_of``; a task without milestones uses its indicators' targets
  interpolated in time (baseline at its date → each interim target → the final target), as a share of the way from
  baseline to final target. A: the same shares from *approved* facts only (completion dates, indicator values).
- Days overdue: the oldest milestone past its due date and not done by ``as_of``.
- The light reads a task's milestones only through their sums on ``as_of`` (:class:`MilestoneSums`): from the
  milestones themselves (:func:`milestone_sums`), or summed for a whole plan in SQL by ``evaluation.snapshot``, whose
  twin a test holds to this function on the same cases.
- Missed rounds: closed rounds in which the task's report was missing.
- Blue: the task was accepted as done. Grey: nothing due yet and nothing reported. Once anything is due, a task with
  no approved report is judged like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import TypeVar

from evaluation.rules.colours import SEVERITY, Colour, worst
from evaluation.rules.config import DEFAULT_SPEC, Band, RuleSpec
from evaluation.rules.reasons import Reason

K = TypeVar("K")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class MilestoneFacts:
    title: str
    due: date
    weight: Decimal = Decimal(1)
    done_on: date | None = None  # completion date from an approved report; None while not done


@dataclass(frozen=True)
class IndicatorFacts:
    name: str
    baseline: Decimal
    baseline_on: date  # the date the baseline value holds for (the end of its year)
    targets: tuple[tuple[date, Decimal], ...]  # interim targets and the final one, by date
    actual: Decimal | None = None  # the latest approved value on or before as_of
    weight: Decimal = Decimal(1)


@dataclass(frozen=True)
class MilestoneSums:
    """What the light needs of a task's milestones on one day: their weights in all, due by that day and done by it,
    and the oldest one past its due date and not done by that day, as (due date, title)."""

    as_of: date
    total: Decimal = ZERO
    due: Decimal = ZERO
    done: Decimal = ZERO
    oldest_late: tuple[date, str] | None = None


def milestone_sums(milestones: Sequence[MilestoneFacts], as_of: date) -> MilestoneSums:
    """The milestones summed on ``as_of``: due means due on or before it, done means done on or before it; late means
    due before it and not done by it (the oldest by due date, then title)."""
    total = sum((m.weight for m in milestones), ZERO)
    due = sum((m.weight for m in milestones if m.due <= as_of), ZERO)
    done = sum((m.weight for m in milestones if m.done_on is not None and m.done_on <= as_of), ZERO)
    late = [(m.due, m.title) for m in milestones if m.due < as_of and (m.done_on is None or m.done_on > as_of)]
    return MilestoneSums(as_of, total, due, done, min(late) if late else None)


@dataclass(frozen=True)
class TaskFacts:
    milestones: tuple[MilestoneFacts, ...] = ()
    indicators: tuple[IndicatorFacts, ...] = ()
    accepted: bool = False  # accepted as done
    reported: bool = False  # at least one approved report
    missed_periods: tuple[str, ...] = ()  # closed rounds in which the task's report was missing
    sums: MilestoneSums | None = None  # the milestones already summed on the day judged; then ``milestones`` is unused

    def milestone_sums(self, as_of: date) -> MilestoneSums:
        """The milestones' sums on ``as_of``: those given (which must be of that day), else summed from them."""
        if self.sums is None:
            return milestone_sums(self.milestones, as_of)
        if self.sums.as_of != as_of:
            raise ValueError(f"milestone sums of {self.sums.as_of} judged on {as_of}")
        return self.sums


@dataclass(frozen=True)
class Light:
    colour: Colour
    expected: Decimal  # E, points of 100
    actual: Decimal  # A, points of 100
    gap: Decimal  # E − A, points
    overdue_days: int
    missed_rounds: int
    reasons: tuple[Reason, ...]
    tests: tuple[tuple[str, Colour], ...] = ()  # each test's own colour: gap, overdue_days, missed_rounds


def band(value: Decimal | int, bands: Sequence[Band]) -> Colour:
    """The colour of the first band whose upper edge (inclusive) holds ``value``; the last band has no edge."""
    for each in bands:
        if each.upto is None or value <= each.upto:
            return each.colour
    return bands[-1].colour


def interpolate(points: Sequence[tuple[date, Decimal]], on: date) -> Decimal:
    """The value of a piecewise-linear path through dated points at ``on``; flat before the first and after the last."""
    ordered = sorted(points)
    if on <= ordered[0][0]:
        return ordered[0][1]
    for (start, low), (end, high) in pairwise(ordered):
        if on <= end:
            span = (end - start).days
            return low if span == 0 else low + (high - low) * Decimal((on - start).days) / Decimal(span)
    return ordered[-1][1]


def _share(value: Decimal, baseline: Decimal, final: Decimal) -> Decimal:
    """How far ``value`` has come from baseline to final target, in [0, 1]; lower-is-better mirrors by itself."""
    if final == baseline:
        return Decimal(1) if value == final else ZERO
    return min(max((value - baseline) / (final - baseline), ZERO), Decimal(1))


def indicator_shares(indicator: IndicatorFacts, as_of: date) -> tuple[Decimal, Decimal]:
    """(expected, actual) shares of the way from baseline to the final target, each in [0, 1]."""
    points = ((indicator.baseline_on, indicator.baseline), *indicator.targets)
    final = max(indicator.targets)[1] if indicator.targets else indicator.baseline
    expected = _share(interpolate(points, as_of), indicator.baseline, final)
    actual = ZERO if indicator.actual is None else _share(indicator.actual, indicator.baseline, final)
    return expected, actual


def progress(facts: TaskFacts, as_of: date, sums: MilestoneSums | None = None) -> tuple[Decimal, Decimal]:
    """E and A in points of 100: milestones' weight shares, or (without milestones) the indicators' shares."""
    sums = sums or facts.milestone_sums(as_of)
    if sums.total > 0:
        return HUNDRED * sums.due / sums.total, HUNDRED * sums.done / sums.total
    weight = sum((i.weight for i in facts.indicators), ZERO)
    if weight > 0:
        shares = [(i.weight, *indicator_shares(i, as_of)) for i in facts.indicators]
        expected = sum((w * e for w, e, _a in shares), ZERO) / weight
        actual = sum((w * a for w, _e, a in shares), ZERO) / weight
        return HUNDRED * expected, HUNDRED * actual
    return ZERO, ZERO


def _points(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def task_light(facts: TaskFacts, as_of: date, spec: RuleSpec = DEFAULT_SPEC) -> Light:
    """The task's light on ``as_of``, with the reasons for every test that is not green."""
    if facts.accepted:
        return Light(Colour.BLUE, HUNDRED, HUNDRED, ZERO, 0, 0, (Reason("accepted"),))
    sums = facts.milestone_sums(as_of)
    expected, actual = progress(facts, as_of, sums)
    expected, actual = _points(expected), _points(actual)
    gap = expected - actual
    oldest = sums.oldest_late  # (due date, title)
    overdue_days = (as_of - oldest[0]).days if oldest else 0
    missed = len(facts.missed_periods)
    if expected == 0 and overdue_days == 0 and missed == 0 and not facts.reported:
        return Light(Colour.GREY, expected, actual, gap, 0, 0, (Reason("not_started"),))
    rules = spec.lights
    by_gap, by_days, by_missed = (
        band(gap, rules.gap),
        band(overdue_days, rules.overdue_days),
        band(missed, rules.missed_rounds),
    )
    tests = (("gap", by_gap), ("overdue_days", by_days), ("missed_rounds", by_missed))
    colour = max((by_gap, by_days, by_missed), key=SEVERITY.__getitem__)  # the worst (all three are judged)
    reasons: list[Reason] = []
    if by_days is not Colour.GREEN and oldest is not None:
        reasons.append(Reason("milestone_overdue", {"milestone": oldest[1], "days": overdue_days}))
    if by_gap is not Colour.GREEN:
        reasons.append(Reason("gap", {"gap": gap, "expected": expected, "actual": actual}))
    if by_missed is not Colour.GREEN:
        reasons.extend(Reason("missed_round", {"period": period}) for period in facts.missed_periods)
    return Light(colour, expected, actual, gap, overdue_days, missed, tuple(reasons), tests)


def task_lights(facts: Mapping[K, TaskFacts], as_of: date, spec: RuleSpec = DEFAULT_SPEC) -> dict[K, Light]:
    """:func:`task_light` of every task of a mapping, each distinct facts judged once: the light is a function of the
    facts, ``as_of`` and the spec, and it is frozen, so tasks with equal facts share one. A plan's thousands of tasks
    have a few hundred distinct facts (``evaluation.snapshot`` gives equal facts as one object, found here by
    identity before equality is hashed)."""
    by_object: dict[int, Light] = {}
    by_value: dict[TaskFacts, Light] = {}
    lights: dict[K, Light] = {}
    for key, each in facts.items():
        light = by_object.get(id(each))  # ``facts`` holds every object alive: an id is not reused meanwhile
        if light is None:
            light = by_value.get(each)
            if light is None:
                light = by_value[each] = task_light(each, as_of, spec)
            by_object[id(each)] = light
        lights[key] = light
    return lights


NOTHING = Light(Colour.GREY, ZERO, ZERO, ZERO, 0, 0, (Reason("not_started"),))


def roll_up(own: Light | None, children: Sequence[tuple[str, Light]]) -> Light:
    """A parent task's light: the worst of its sub-tasks' lights and of its own (when it has milestones or indicators
    of its own, i.e. its own light is not grey); grey only when nothing below it is judged. E and A are the means of
    the judged lights, days overdue and missed rounds the most of them. The reasons name the sub-tasks that made the
    colour, then the first one's own reasons."""
    judged = [(code, light) for code, light in children if light.colour is not Colour.GREY]
    if own is not None and own.colour is not Colour.GREY:
        judged.append(("", own))
    if not judged:
        return NOTHING
    colour = worst(light.colour for _code, light in judged)
    expected = _points(sum((light.expected for _c, light in judged), ZERO) / len(judged))
    actual = _points(sum((light.actual for _c, light in judged), ZERO) / len(judged))
    makers = [(code, light) for code, light in judged if light.colour is colour]
    reasons: list[Reason] = []
    named = [code for code, _light in makers if code]
    if named:
        reasons.append(Reason("rolled_up", {"tasks": "、".join(named)}))
    reasons.extend(makers[0][1].reasons)
    return Light(colour, expected, actual, expected - actual, max(light.overdue_days for _c, light in judged),
                 max(light.missed_rounds for _c, light in judged), tuple(reasons))  # fmt: skip


def roll_up_tree(lights: Mapping[K, Light], tree: Mapping[K, tuple[K | None, str]]) -> dict[K, Light]:
    """Every task's light with its parents rolled up (:func:`roll_up`), bottom-up: ``tree`` gives each task's parent
    (None at the top) and code; ``lights`` each task's own light. Tasks outside ``tree`` keep their own."""
    children: dict[K, list[K]] = {}
    for key, (parent, _code) in tree.items():
        if parent is not None:
            children.setdefault(parent, []).append(key)
    rolled: dict[K, Light] = {}

    def light_of(key: K) -> Light:
        if key not in rolled:
            below = children.get(key)
            own = lights.get(key)
            if below:
                ordered = sorted(below, key=lambda child: tree[child][1])
                own = roll_up(own, [(tree[child][1], light_of(child)) for child in ordered])
            rolled[key] = own if own is not None else NOTHING
        return rolled[key]

    return {key: light_of(key) if key in tree else light for key, light in lights.items()}
