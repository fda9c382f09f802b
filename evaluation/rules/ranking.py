"""Ranks within a track, the unit colour by the dual condition, changes against the previous period, and the annual
result. Pure.

- Competition ranking (1, 2, 2, 4): equal scores share a rank; ties are broken by nothing (the display orders equal
  ranks by unit code). Units with too little data are grey and unranked.
- Colour: the first score band the unit reaches; a band with a rank condition also needs the rank (top: fewer than
  quantile × n units ahead; bottom: fewer than quantile × n behind). Meeting the score but not the rank condition
  moves one level towards the middle (blue → green, red → orange). A veto makes the unit red whatever its score; a
  red light on a major task holds it at the spec's ``major_red_light_colour`` at best — the task's lead unit only, or
  every unit with a part in it, by the spec's ``major_red_scope`` — and its reasons name the task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from evaluation.rules.colours import Colour, worst
from evaluation.rules.config import DEFAULT_SPEC, RuleSpec
from evaluation.rules.reasons import Reason
from evaluation.rules.scoring import UnitScore

CENT = Decimal("0.01")


@dataclass(frozen=True)
class UnitStanding:
    unit: str
    score: Decimal
    rank: int | None
    colour: Colour
    reasons: tuple[Reason, ...]
    score_change: Decimal | None = None  # against the previous published period; None without one
    rank_change: int | None = None  # positive: moved up


def competition_ranks(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """1 + the number of units with a strictly higher score."""
    ordered = sorted(scores.values(), reverse=True)
    first = {}
    for position, score in enumerate(ordered, start=1):
        first.setdefault(score, position)
    return {unit: first[score] for unit, score in scores.items()}


def score_colour(score: Decimal, ahead: int, behind: int, n: int, spec: RuleSpec) -> tuple[Colour, list[Reason]]:
    """The dual condition for one ranked unit (``ahead``/``behind``: units with a strictly higher/lower score)."""
    bands = spec.unit_bands
    index = next(i for i, band in enumerate(bands) if band.min_score is None or score >= band.min_score)
    band = bands[index]
    limit = spec.rank_quantile * n
    quantile = (spec.rank_quantile * 100).normalize()
    if band.rank == "top" and not ahead < limit:
        fallback = bands[min(index + 1, len(bands) - 1)]
        return fallback.colour, [
            Reason("rank_not_top", {"colour": spec.swatch(band.colour).label, "quantile": quantile})
        ]
    if band.rank == "bottom" and not behind < limit:
        fallback = bands[max(index - 1, 0)]
        return fallback.colour, [
            Reason("rank_not_bottom", {"colour": spec.swatch(band.colour).label, "quantile": quantile})
        ]
    return band.colour, []


def rank_track(
    scores: Sequence[UnitScore],
    spec: RuleSpec = DEFAULT_SPEC,
    previous: Mapping[str, tuple[Decimal, int | None]] | None = None,
) -> tuple[UnitStanding, ...]:
    """Every unit of one track, ranked and coloured, ordered by rank then unit code (unranked last)."""
    previous = previous or {}
    ranked = {s.unit: s.score for s in scores if s.enough_data}
    ranks = competition_ranks(ranked)
    values = list(ranked.values())
    n = len(values)
    standings = []
    for s in scores:
        reasons = [note for note in s.notes if note.code in ("veto", "major_red_light", "too_little_data")]
        if not s.enough_data:
            colour, rank = Colour.GREY, None
        else:
            rank = ranks[s.unit]
            behind = sum(1 for value in values if value < s.score)
            colour, extra = score_colour(s.score, rank - 1, behind, n, spec)
            reasons.extend(extra)
            if s.veto:
                colour = Colour.RED
            elif s.major_red_tasks:
                colour = worst((colour, spec.major_red_light_colour))
        before = previous.get(s.unit)
        score_change = rank_change = None
        if before is not None:
            score_change = s.score - before[0]
            if rank is not None and before[1] is not None:
                rank_change = before[1] - rank
        standings.append(UnitStanding(s.unit, s.score, rank, colour, tuple(reasons), score_change, rank_change))
    return tuple(sorted(standings, key=lambda st: (st.rank is None, st.rank or 0, st.unit)))


def annual_score(quarters: Mapping[int, Decimal], spec: RuleSpec = DEFAULT_SPEC) -> Decimal | None:
    """The year's result from its published quarterly scores (quarter 1–4) by the spec's quarter weights; with
    quarters missing (the year not over, or a quarter not published), the weights of the present ones are rescaled."""
    present = {q: score for q, score in quarters.items() if 1 <= q <= 4}
    weight = sum((spec.quarter_weights[q - 1] for q in present), Decimal(0))
    if weight == 0:
        return None
    total = sum((spec.quarter_weights[q - 1] * score for q, score in present.items()), Decimal(0))
    return (total / weight).quantize(CENT, rounding=ROUND_HALF_UP)
