"""The unit score of 赛马比拼: S = 100 × Σ wᵢ·Fᵢ + bonus − deductions, each Fᵢ in [0, 1] (DOMAIN.md, default rule set).

- F1 indicator attainment: weighted mean of min(a, 1), a = (actual − baseline) / (interim target − baseline),
  mirrored for lower-is-better (the ratio does it); no indicators → F1's weight moves to F2.
- F2 task progress: weighted mean of min(A / E, 1) over the unit's tasks with E > 0; weight = role factor (lead 1.0,
  responsible 0.5) × importance weight (重大 1.5, 一般 1.0).
- F3 process quality: on-time rate, first-pass approval rate (returns by the supervisor only), evidence completeness
  and 督办 replies on time, by the spec's sub-weights; a rate with nothing to count leaves, and its weight is shared
  pro rata among the others. 督办 replies count 1.0 where no app keeps 督办单 (``tasks.supervision``), and the breakdown
  says so.
- F4 supervisors' rubric: each rater's mean criterion score mapped to [0, 1]; only with at least the spec's minimum
  number of raters, otherwise F4's weight is shared pro rata among the present components.
- Bonus and deductions: items by code, points × count, each item capped, then the totals capped; a veto item makes
  the unit red whatever its score (see ranking).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from evaluation.rules.colours import Colour
from evaluation.rules.config import DEFAULT_SPEC, RuleSpec
from evaluation.rules.reasons import Reason

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
COMPONENTS = ("F1", "F2", "F3", "F4")


@dataclass(frozen=True)
class TaskShare:
    """One task as a unit's share of it: its role, the task's importance, E and A (points) and its light."""

    code: str
    role: str  # "lead" or "responsible"
    importance: str  # "major" or "normal"
    expected: Decimal
    actual: Decimal
    light: Colour = Colour.GREY
    title: str = ""


@dataclass(frozen=True)
class IndicatorShare:
    code: str
    baseline: Decimal
    interim_target: Decimal  # the target in force for the period being judged
    actual: Decimal | None  # the latest approved value; None counts as no progress
    weight: Decimal = ONE
    direction: str = "higher"  # or "lower"


@dataclass(frozen=True)
class ProcessCounts:
    """The facts behind F3. ``duban_due`` is None where no app keeps 督办单 (``tasks.supervision``): the rate then
    counts 1.0; 0 when the unit had no reply due: the rate has nothing to count."""

    parts_due: int = 0
    parts_on_time: int = 0
    reviewed: int = 0  # task reports that reached a supervisor's decision
    first_pass: int = 0  # of those, approved without a return by the supervisor
    claims: int = 0  # milestone claims marked done
    claims_with_evidence: int = 0
    duban_due: int | None = None
    duban_on_time: int = 0


@dataclass(frozen=True)
class ItemEntry:
    """A bonus or deduction item given to a unit (by code), ``count`` times, with its evidence."""

    code: str
    count: int = 1
    evidence: str = ""


@dataclass(frozen=True)
class UnitFacts:
    unit: str  # the unit's code
    tasks: tuple[TaskShare, ...] = ()
    indicators: tuple[IndicatorShare, ...] = ()
    process: ProcessCounts = ProcessCounts()
    rubric: tuple[tuple[int, ...], ...] = ()  # one tuple of criterion scores per rater
    items: tuple[ItemEntry, ...] = ()


@dataclass(frozen=True)
class UnitScore:
    unit: str
    score: Decimal
    components: dict[str, Decimal | None]  # F1..F4 in [0, 1], None when absent
    weights: dict[str, Decimal]  # the weights actually used, after moving absent components' weights
    process: dict[str, Decimal | None]  # F3's rates
    bonus: Decimal
    deductions: Decimal
    veto: bool
    scored_tasks: int
    enough_data: bool
    major_red_tasks: tuple[str, ...]  # the red major tasks that cap the colour (the spec's ``major_red_scope``)
    notes: tuple[Reason, ...]


def attainment(share: IndicatorShare) -> Decimal:
    """a = (actual − baseline) / (interim target − baseline) in [0, 1]; lower-is-better mirrors through the signs."""
    if share.actual is None:
        return ZERO
    if share.interim_target == share.baseline:
        reached = (
            share.actual >= share.interim_target
            if share.direction == "higher"
            else share.actual <= share.interim_target
        )
        return ONE if reached else ZERO
    return min(max((share.actual - share.baseline) / (share.interim_target - share.baseline), ZERO), ONE)


def _mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    weight = sum((w for w, _v in pairs), ZERO)
    return None if weight == 0 else sum((w * v for w, v in pairs), ZERO) / weight


def _task_weight(task: TaskShare, spec: RuleSpec) -> Decimal:
    """F2's weight of a task: role factor × importance weight."""
    return (spec.lead_factor if task.role == "lead" else spec.responsible_factor) * spec.importance_weight(
        task.importance
    )


def _progress(tasks: tuple[TaskShare, ...], spec: RuleSpec) -> tuple[Decimal | None, int]:
    """F2 and the number of tasks it scores, in one pass over a unit's tasks (hundreds of them): the weighted mean of
    min(A / E, 1) over the tasks with E > 0, summed in the tasks' order as :func:`_mean` sums its pairs."""
    factors: dict[tuple[str, str], Decimal] = {}  # role factor × importance weight, by (role, importance)
    weight = total = ZERO
    scored = 0
    for task in tasks:
        expected = task.expected
        if not expected > 0:
            continue
        scored += 1
        factor = factors.get((task.role, task.importance))
        if factor is None:
            factor = factors[task.role, task.importance] = _task_weight(task, spec)
        actual = task.actual
        weight += factor
        total += factor * (min(actual / expected, ONE) if actual > 0 else ZERO)
    return (None if weight == 0 else total / weight), scored


def _rate(numerator: int, denominator: int) -> Decimal | None:
    return None if denominator <= 0 else Decimal(min(numerator, denominator)) / Decimal(denominator)


def _share_out(weights: dict[str, Decimal], present: dict[str, bool]) -> dict[str, Decimal]:
    """Absent components give their weight pro rata to the present ones (all absent: all zero)."""
    kept = sum((w for name, w in weights.items() if present[name]), ZERO)
    total = sum(weights.values(), ZERO)
    if kept == 0:
        return {name: ZERO for name in weights}
    return {name: (w * total / kept if present[name] else ZERO) for name, w in weights.items()}


def _items(entries: tuple[ItemEntry, ...], catalogue, cap: Decimal) -> tuple[Decimal, list[str]]:
    counts: Counter[str] = Counter()
    for entry in entries:
        counts[entry.code] += max(entry.count, 0)
    total, vetoes = ZERO, []
    for item in catalogue:
        if not counts[item.code]:
            continue
        points = item.points * counts[item.code]
        total += points if item.cap is None else min(points, item.cap)
        if item.veto:
            vetoes.append(item.label)
    return min(total, cap), vetoes


def _caps(task: TaskShare, spec: RuleSpec) -> bool:
    """Whether this task's light caps the unit's colour (``RuleSpec.major_red_light_colour``): a red major task, of
    which the unit is the lead unit — or has any part, when the spec's ``major_red_scope`` is "all"."""
    return (
        task.importance == "major"
        and task.light is Colour.RED
        and (task.role == "lead" or spec.major_red_scope == "all")
    )


def unit_score(facts: UnitFacts, spec: RuleSpec = DEFAULT_SPEC) -> UnitScore:
    notes: list[Reason] = []
    # F1
    f1 = _mean([(share.weight, attainment(share)) for share in facts.indicators])
    # F2
    f2, scored = _progress(facts.tasks, spec)
    # F3
    p = facts.process
    rates: dict[str, Decimal | None] = {
        "on_time": _rate(p.parts_on_time, p.parts_due),
        "first_pass": _rate(p.first_pass, p.reviewed),
        "evidence": _rate(p.claims_with_evidence, p.claims),
        "duban": ONE if p.duban_due is None else _rate(p.duban_on_time, p.duban_due),
    }
    if p.duban_due is None:
        notes.append(Reason("duban_pending"))
    sub_weights = {
        "on_time": spec.process.on_time,
        "first_pass": spec.process.first_pass,
        "evidence": spec.process.evidence,
        "duban": spec.process.duban,
    }
    counted = {name: rate is not None for name, rate in rates.items()}
    # 督办 on time alone (the placeholder 1.0) is no evidence of process quality: F3 needs a measured rate.
    measured = any(counted[name] for name in ("on_time", "first_pass", "evidence"))
    f3 = None
    if measured:
        shared = _share_out(sub_weights, counted)
        f3 = sum((shared[name] * rate for name, rate in rates.items() if rate is not None), ZERO)
    # F4
    low, high = spec.rubric_scale
    raters = [scores for scores in facts.rubric if scores]
    f4 = None
    if len(raters) >= spec.rubric_min_raters:
        means = [Decimal(sum(scores)) / len(scores) for scores in raters]
        f4 = min(max((sum(means, ZERO) / len(means) - low) / (high - low), ZERO), ONE)
    components = {"F1": f1, "F2": f2, "F3": f3, "F4": f4}
    weights = {"F1": spec.weights.f1, "F2": spec.weights.f2, "F3": spec.weights.f3, "F4": spec.weights.f4}
    if f1 is None:
        notes.append(Reason("no_indicators"))
        if f2 is not None:
            weights = {**weights, "F2": weights["F2"] + weights["F1"], "F1": ZERO}
    if f2 is None:
        notes.append(Reason("no_progress"))
    if f3 is None:
        notes.append(Reason("no_process"))
    if f4 is None:
        notes.append(Reason("no_rubric", {"raters": spec.rubric_min_raters}))
    weights = _share_out(weights, {name: value is not None for name, value in components.items()})
    bonus, _none = _items(facts.items, spec.bonus, spec.bonus_cap)
    deductions, vetoes = _items(facts.items, spec.deductions, spec.deduction_cap)
    notes.extend(Reason("veto", {"item": label}) for label in vetoes)
    base = sum((weights[name] * value for name, value in components.items() if value is not None), ZERO)
    score = (Decimal(100) * base + bonus - deductions).quantize(CENT, rounding=ROUND_HALF_UP)
    capping = [task for task in facts.tasks if _caps(task, spec)]
    major_red = tuple(task.code for task in capping)
    notes.extend(Reason("major_red_light", {"task": task.title or task.code}) for task in capping)
    enough = scored >= spec.min_scored_tasks and scored > 0
    if not enough:
        notes.append(Reason("too_little_data", {"minimum": max(spec.min_scored_tasks, 1)}))
    return UnitScore(
        unit=facts.unit,
        score=score,
        components=components,
        weights=weights,
        process=rates,
        bonus=bonus,
        deductions=deductions,
        veto=bool(vetoes),
        scored_tasks=scored,
        enough_data=enough,
        major_red_tasks=major_red,
        notes=tuple(notes),
    )


def interim_target(targets: tuple[tuple[int, Decimal], ...], final: tuple[int, Decimal], as_of: date) -> Decimal:
    """The target in force for ``as_of``: the first yearly target whose year is not before ``as_of``'s year."""
    for year, value in sorted((*targets, final)):
        if year >= as_of.year:
            return value
    return final[1]
