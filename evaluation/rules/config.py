"""A rule spec: every number the judging uses, as configuration. ``DEFAULT_SPEC`` is DOMAIN.md's default rule set.

A spec is frozen and travels as plain data (``to_data`` / ``from_data``) so that a stored rule set, an admin form and
a published snapshot all hold the same thing. ``from_data`` checks everything (weights sum to 1, bands ordered, caps
≥ 0, …) and raises :class:`RuleSpecError` naming every field that is wrong, by its dotted path.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from functools import cached_property
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext_lazy as _

from evaluation.rules.colours import JUDGED, Colour

ONE = Decimal(1)
ZERO = Decimal(0)
# ``RuleSpec.major_red_scope``: whose colour a red light on a major task caps (the lead unit's, or every unit's).
MAJOR_RED_SCOPES = ("lead", "all")


class RuleSpecError(ValueError):
    """The rule spec is not valid; ``errors`` maps each field's dotted path to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(sorted(errors.items()))
        super().__init__("; ".join(f"{path}: {message}" for path, message in self.errors.items()))


@dataclass(frozen=True)
class Band:
    """Values up to ``upto`` (inclusive) take ``colour``; a list's last band has ``upto=None``: all above."""

    upto: Decimal | None
    colour: Colour


@dataclass(frozen=True)
class LightRules:
    """The task light's three tests (gap in points, days overdue, missed rounds); the light is the worst of them."""

    gap: tuple[Band, ...] = (
        Band(Decimal(5), Colour.GREEN),
        Band(Decimal(15), Colour.YELLOW),
        Band(Decimal(30), Colour.ORANGE),
        Band(None, Colour.RED),
    )
    overdue_days: tuple[Band, ...] = (
        Band(Decimal(0), Colour.GREEN),
        Band(Decimal(7), Colour.YELLOW),
        Band(Decimal(15), Colour.ORANGE),
        Band(None, Colour.RED),
    )
    missed_rounds: tuple[Band, ...] = (
        Band(Decimal(0), Colour.GREEN),
        Band(Decimal(1), Colour.ORANGE),
        Band(None, Colour.RED),
    )
    # Missed rounds are counted among the plan's last ``missed_window`` rounds due (four quarters: a year): a round
    # missed long ago and made good since does not hold a task red for the rest of the plan.
    missed_window: int = 4


@dataclass(frozen=True)
class ScoreWeights:
    """S = 100 × (f1·F1 + f2·F2 + f3·F3 + f4·F4) + bonus − deductions."""

    f1: Decimal = Decimal("0.35")
    f2: Decimal = Decimal("0.35")
    f3: Decimal = Decimal("0.20")
    f4: Decimal = Decimal("0.10")


@dataclass(frozen=True)
class ProcessWeights:
    """F3 = on_time·(on-time rate) + first_pass·(first-pass approval rate) + evidence·(evidence completeness)
    + duban·(督办 replies on time)."""

    on_time: Decimal = Decimal("0.4")
    first_pass: Decimal = Decimal("0.3")
    evidence: Decimal = Decimal("0.2")
    duban: Decimal = Decimal("0.1")


@dataclass(frozen=True)
class Item:
    """A bonus or deduction item: ``points`` each (positive), at most ``cap`` in all (None: only the total cap)."""

    code: str
    label: str
    points: Decimal
    cap: Decimal | None = None
    veto: bool = False


@dataclass(frozen=True)
class UnitBand:
    """A unit colour's score condition (score ≥ ``min_score``; None: any score) and optional rank condition."""

    colour: Colour
    min_score: Decimal | None
    rank: str = ""  # "top", "bottom" or "" (no rank condition)


@dataclass(frozen=True)
class Swatch:
    """How a colour is shown: label, meaning, legend order and hex. The legend is always drawn from these."""

    colour: Colour
    label: str
    label_en: str
    meaning: str
    hex: str
    order: int


def _d(value: str) -> Decimal:
    return Decimal(value)


DEFAULT_BONUS = (
    Item("indicator_exceeded", "指标超额完成 10% 以上", _d("1"), cap=_d("3")),
    Item("national_recognition", "获国家级表彰或试点", _d("0.5"), cap=_d("3")),
    Item("model_case", "经验做法全市推广", _d("2")),
    Item("accepted_early", "任务提前验收", _d("0.5")),
)
DEFAULT_DEDUCTIONS = (
    Item("duban", "督办单", _d("0.5")),
    Item("yuetan", "约谈", _d("2")),
    Item("late_report", "迟报", _d("0.2")),
    Item("data_error", "数据差错（经核实）", _d("1")),
    Item("falsified", "数据造假", _d("5"), veto=True),
)
DEFAULT_UNIT_BANDS = (
    UnitBand(Colour.BLUE, _d("90"), rank="top"),
    UnitBand(Colour.GREEN, _d("80")),
    UnitBand(Colour.YELLOW, _d("70")),
    UnitBand(Colour.ORANGE, _d("60")),
    UnitBand(Colour.RED, None, rank="bottom"),
)
DEFAULT_PALETTE = (
    Swatch(Colour.BLUE, "领跑", "Leading", "表扬；典型案例候选", "#1f6feb", 1),
    Swatch(Colour.GREEN, "良好", "Good", "正常推进", "#2da44e", 2),
    Swatch(Colour.YELLOW, "一般", "Fair", "通报中提示", "#d4a72c", 3),
    Swatch(Colour.ORANGE, "滞后", "Lagging", "督办", "#e16f24", 4),
    Swatch(Colour.RED, "落后", "Behind", "建议约谈", "#cf222e", 5),
    Swatch(Colour.GREY, "暂无数据", "No data yet", "数据不足，不评价", "#8c959f", 6),
)


@dataclass(frozen=True)
class RuleSpec:
    """Every number of the default rule set (DOMAIN.md), as configuration."""

    lights: LightRules = field(default_factory=LightRules)
    weights: ScoreWeights = field(default_factory=ScoreWeights)
    process: ProcessWeights = field(default_factory=ProcessWeights)
    lead_factor: Decimal = ONE
    responsible_factor: Decimal = Decimal("0.5")
    importance: tuple[tuple[str, Decimal], ...] = (("major", Decimal("1.5")), ("normal", ONE))
    bonus: tuple[Item, ...] = DEFAULT_BONUS
    bonus_cap: Decimal = Decimal(10)
    deductions: tuple[Item, ...] = DEFAULT_DEDUCTIONS
    deduction_cap: Decimal = Decimal(15)
    unit_bands: tuple[UnitBand, ...] = DEFAULT_UNIT_BANDS
    rank_quantile: Decimal = Decimal("0.2")
    # A red light on a major task holds the unit at this colour at best (DOMAIN.md: "or a red light on a major task").
    major_red_light_colour: Colour = Colour.ORANGE
    # Whose colour that red light holds: "lead", the task's lead unit (牵头单位) only; "all", every unit with a part
    # in the task (lead and responsible). The lead unit answers for the task's outcome, and a responsible unit's part
    # already weighs in its F2; with "all", one late district holds a major task red and so caps the 37 others that
    # share it, whatever each of them did. Rule sets stored before this setting existed keep "all", what they were
    # computed with (migration 0011).
    major_red_scope: str = "lead"
    min_scored_tasks: int = 1
    rubric_min_raters: int = 2
    rubric_scale: tuple[int, int] = (1, 5)
    quarter_weights: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal("0.15"),
        Decimal("0.20"),
        Decimal("0.25"),
        Decimal("0.40"),
    )
    palette: tuple[Swatch, ...] = DEFAULT_PALETTE
    appeal_working_days: int = 5

    # -- lookups ------------------------------------------------------------------------------------------------
    def importance_weight(self, importance: str) -> Decimal:
        return self._importance_weights.get(importance, ONE)

    @cached_property
    def _importance_weights(self) -> dict[str, Decimal]:
        # Not a field (equality, hashing and to_data see none of it): read once per task and unit when scoring.
        return dict(self.importance)

    def item(self, code: str) -> Item | None:
        return next((item for item in (*self.bonus, *self.deductions) if item.code == code), None)

    def swatch(self, colour: Colour) -> Swatch:
        return next(swatch for swatch in self.palette if swatch.colour == colour)

    def legend(self) -> tuple[Swatch, ...]:
        return tuple(sorted(self.palette, key=lambda swatch: swatch.order))

    # -- plain data ---------------------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        return _to_data(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RuleSpec:
        """A spec from plain data (missing keys take the defaults); raises :class:`RuleSpecError` naming each field."""
        errors: dict[str, str] = {}
        spec = _from_data(cls, data if isinstance(data, dict) else {}, "", errors, DEFAULT_SPEC)
        if not errors:
            errors = spec.problems()
        if errors:
            raise RuleSpecError(errors)
        return spec

    def problems(self) -> dict[str, str]:
        """What is wrong with this spec, by dotted field path (empty when it is valid)."""
        errors: dict[str, str] = {}
        weights = (self.weights.f1, self.weights.f2, self.weights.f3, self.weights.f4)
        if any(weight < 0 for weight in weights):
            errors["weights"] = str(_("权重不能为负数"))
        elif sum(weights) != ONE:
            errors["weights"] = str(_("F1–F4 的权重之和须为 1（现为 %(sum)s）") % {"sum": sum(weights)})
        process = (self.process.on_time, self.process.first_pass, self.process.evidence, self.process.duban)
        if any(weight < 0 for weight in process):
            errors["process"] = str(_("权重不能为负数"))
        elif sum(process) != ONE:
            errors["process"] = str(_("F3 的分项权重之和须为 1（现为 %(sum)s）") % {"sum": sum(process)})
        quarters = self.quarter_weights
        if len(quarters) != 4 or any(weight < 0 for weight in quarters) or sum(quarters) != ONE:
            errors["quarter_weights"] = str(_("须为四个非负的季度权重，和为 1"))
        for name in ("gap", "overdue_days", "missed_rounds"):
            problem = _band_problem(getattr(self.lights, name))
            if problem:
                errors[f"lights.{name}"] = problem
        for name in ("lead_factor", "responsible_factor", "bonus_cap", "deduction_cap"):
            if getattr(self, name) < 0:
                errors[name] = str(_("不能为负数"))
        for index, (_code, weight) in enumerate(self.importance):
            if weight <= 0:
                errors[f"importance.{index}"] = str(_("重要程度权重须大于 0"))
        for group in ("bonus", "deductions"):
            codes = [item.code for item in getattr(self, group)]
            for index, item in enumerate(getattr(self, group)):
                if item.points < 0:
                    errors[f"{group}.{index}.points"] = str(_("分值不能为负数（扣分项也填正数）"))
                if item.cap is not None and item.cap < 0:
                    errors[f"{group}.{index}.cap"] = str(_("上限不能为负数"))
                if not item.code or codes.count(item.code) > 1:
                    errors[f"{group}.{index}.code"] = str(_("代码不能为空，也不能重复"))
        if not Decimal(0) < self.rank_quantile <= Decimal("0.5"):
            errors["rank_quantile"] = str(_("排名分位须大于 0 且不超过 0.5"))
        problem = _unit_band_problem(self.unit_bands)
        if problem:
            errors["unit_bands"] = problem
        if self.min_scored_tasks < 0:
            errors["min_scored_tasks"] = str(_("不能为负数"))
        if not 0 <= self.appeal_working_days <= 30:
            errors["appeal_working_days"] = str(_("申诉期为 0 至 30 个工作日"))
        if self.rubric_min_raters < 1:
            errors["rubric_min_raters"] = str(_("至少 1 人"))
        if self.major_red_scope not in MAJOR_RED_SCOPES:
            errors["major_red_scope"] = str(_("只能是 lead（只限牵头单位）或 all（所有有分工的单位）"))
        if not 1 <= self.lights.missed_window <= 60:
            errors["lights.missed_window"] = str(_("统计最近 1 至 60 轮"))
        low, high = self.rubric_scale
        if not low < high:
            errors["rubric_scale"] = str(_("评分下限须小于上限"))
        if sorted(swatch.colour for swatch in self.palette) != sorted(Colour):
            errors["palette"] = str(_("须为六种颜色各给一条图例"))
        elif len({swatch.order for swatch in self.palette}) != len(self.palette):
            errors["palette"] = str(_("图例顺序不能重复"))
        return errors


def _band_problem(bands: tuple[Band, ...]) -> str:
    if not bands or bands[-1].upto is not None:
        return str(_("最后一档须不设上限"))
    edges = [band.upto for band in bands[:-1]]
    if any(edge is None for edge in edges) or any(edge < 0 for edge in edges):
        return str(_("分档上限须为非负数，只有最后一档不设上限"))
    if any(later <= earlier for earlier, later in pairwise(edges)):
        return str(_("分档上限须从小到大排列"))
    colours = [band.colour for band in bands]
    if Colour.GREY in colours or Colour.BLUE in colours:
        return str(_("灯色分档只用绿、黄、橙、红"))
    if any(JUDGED.index(b) < JUDGED.index(a) for a, b in pairwise(colours)):
        return str(_("分档颜色须由好到差排列"))
    return ""


def _unit_band_problem(bands: tuple[UnitBand, ...]) -> str:
    colours = [band.colour for band in bands]
    if not bands or bands[-1].min_score is not None:
        return str(_("最后一档须不设分数下限"))
    if Colour.GREY in colours or len(set(colours)) != len(colours):
        return str(_("每种颜色至多一档，且不含灰色"))
    scores = [band.min_score for band in bands[:-1]]
    if any(score is None for score in scores):
        return str(_("只有最后一档不设分数下限"))
    if any(later >= earlier for earlier, later in pairwise(scores)):
        return str(_("分数下限须从高到低排列"))
    if any(band.rank not in ("", "top", "bottom") for band in bands):
        return str(_("排名条件只能是 top、bottom 或留空"))
    return ""


# -- plain data <-> dataclasses -----------------------------------------------------------------------------------


def _to_data(value: Any) -> Any:
    if isinstance(value, Colour):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _to_data(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [_to_data(item) for item in value]
    return value


def _from_data(cls: type, data: dict[str, Any], path: str, errors: dict[str, str], default: Any) -> Any:
    """Build ``cls`` from ``data`` field by field, each converted like its default; a missing key keeps the default."""
    changes: dict[str, Any] = {}
    unknown = set(data) - {f.name for f in fields(cls)}
    for name in sorted(unknown):
        errors[f"{path}{name}"] = str(_("未知字段"))
    for f in fields(cls):
        if f.name not in data:
            continue
        changes[f.name] = _convert(data[f.name], getattr(default, f.name), f"{path}{f.name}", errors)
    return replace(default, **changes)


def _convert(raw: Any, like: Any, path: str, errors: dict[str, str]) -> Any:
    try:
        if isinstance(like, bool):
            if not isinstance(raw, bool):
                raise TypeError
            return raw
        if isinstance(like, Colour):
            return Colour(raw)
        if isinstance(like, Decimal) or (like is None and path.endswith(("upto", "cap", "min_score"))):
            if raw is None:
                return None
            if isinstance(raw, bool) or not isinstance(raw, (int, str, float)):
                raise TypeError
            number = Decimal(str(raw))
            if not number.is_finite():
                raise InvalidOperation
            return number
        if isinstance(like, int):
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise TypeError
            return raw
        if isinstance(like, str):
            if not isinstance(raw, str):
                raise TypeError
            return raw
        if hasattr(like, "__dataclass_fields__"):
            if not isinstance(raw, dict):
                raise TypeError
            return _from_data(type(like), raw, f"{path}.", errors, like)
        if isinstance(like, tuple):
            if not isinstance(raw, list | tuple):
                raise TypeError
            return _convert_sequence(raw, like, path, errors)
    except (TypeError, ValueError, InvalidOperation):
        errors[path] = str(_("值无效：%(value)s") % {"value": repr(raw)[:60]})
        return like
    return raw


def _convert_sequence(raw: list | tuple, like: tuple, path: str, errors: dict[str, str]) -> tuple:
    name = path.rsplit(".", 1)[-1]
    if name in ("importance",):
        pairs = []
        for index, pair in enumerate(raw):
            if not isinstance(pair, list | tuple) or len(pair) != 2 or not isinstance(pair[0], str):
                errors[f"{path}.{index}"] = str(_("须为 [重要程度, 权重]"))
                continue
            pairs.append((pair[0], _convert(pair[1], ONE, f"{path}.{index}", errors)))
        return tuple(pairs)
    if name in ("rubric_scale",):
        return tuple(_convert(item, 1, f"{path}.{index}", errors) for index, item in enumerate(raw))
    # A list's items are converted like its first default item (bands like bands, items like items).
    template = like[0] if like else None
    if template is None or not hasattr(template, "__dataclass_fields__"):
        return tuple(_convert(item, template, f"{path}.{index}", errors) for index, item in enumerate(raw))
    blank = _blank(template)
    out = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"{path}.{index}"] = str(_("值无效：%(value)s") % {"value": repr(item)[:60]})
            continue
        missing = [f.name for f in fields(template) if f.name not in item and _required(template, f.name)]
        for key in missing:
            errors[f"{path}.{index}.{key}"] = str(_("必填"))
        out.append(_from_data(type(template), item, f"{path}.{index}.", errors, blank))
    return tuple(out)


def _required(template: Any, name: str) -> bool:
    """Fields without a default in their dataclass must be given for every list item."""
    f = next(f for f in fields(template) if f.name == name)
    return f.default is MISSING and f.default_factory is MISSING


def _blank(template: Any) -> Any:
    """The list item's template with its optional fields at their own defaults (a missing ``cap`` is no cap)."""
    defaults = {f.name: f.default for f in fields(template) if f.default is not MISSING}
    return replace(template, **defaults)


DEFAULT_SPEC = RuleSpec()
