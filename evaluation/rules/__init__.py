"""The evaluation rules, pure: facts and a :class:`RuleSpec` in, results with their reasons out.

Nothing here touches the database or reads the clock: callers build the facts (a snapshot) and pass ``as_of``.
Every number comes from the rule spec, whose defaults are ../shared/DOMAIN.md's default rule set.
"""

from evaluation.rules.colours import Colour, one_level_apart, worst
from evaluation.rules.config import DEFAULT_SPEC, RuleSpec, RuleSpecError
from evaluation.rules.lights import IndicatorFacts, Light, MilestoneFacts, MilestoneSums, TaskFacts, task_light
from evaluation.rules.ranking import UnitStanding, annual_score, rank_track
from evaluation.rules.scoring import UnitFacts, UnitScore, unit_score

__all__ = [
    "DEFAULT_SPEC",
    "Colour",
    "IndicatorFacts",
    "Light",
    "MilestoneFacts",
    "MilestoneSums",
    "RuleSpec",
    "RuleSpecError",
    "TaskFacts",
    "UnitFacts",
    "UnitScore",
    "UnitStanding",
    "annual_score",
    "one_level_apart",
    "rank_track",
    "task_light",
    "unit_score",
    "worst",
]
