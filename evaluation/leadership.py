"""What leadership reads: the 五色图 (the districts on their boundaries, zones and departments as tiles beside
them), the period's headline, and the bulletin (晾晒) built from the same page.

``map_page`` is a selector like those in ``evaluation.selectors``: it decides what the user may see (published
rounds for everyone; drafts for supervisors and leaders), returns frozen dataclasses, and costs a fixed number of
queries whatever the number of units. Boundaries come from ``units.boundaries`` (cached per process); without
them every unit is a tile.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluation.models import Evaluation, UnitResult
from evaluation.rules import RuleSpec
from evaluation.selectors import RankingPage, evaluation_list, published_before, ranking_page
from tasks.errors import NotFound
from units import boundaries
from units.models import Unit
from units.selectors import user_scope


@dataclass(frozen=True)
class Headline:
    evaluation: Evaluation
    spec: RuleSpec
    counts: tuple[tuple[str, int], ...]  # per colour, in the legend's order
    new_reds: tuple[UnitResult, ...]  # red now, not red in the round before (or no round before)
    risers: tuple[UnitResult, ...]  # the biggest rank gains
    fallers: tuple[UnitResult, ...]  # the biggest rank losses


def headline_of(evaluation: Evaluation, results: list[UnitResult], spec: RuleSpec) -> Headline:
    """How many units of each colour, the new reds, the three biggest movers each way. One query (the reds of the
    plan's published round before this one)."""
    before = published_before(evaluation).values("pk")[:1]
    red_before = set(UnitResult.objects.filter(evaluation__in=before, colour="red").values_list("unit_id", flat=True))
    counts = {swatch.colour.value: 0 for swatch in spec.legend()}
    for result in results:
        counts[result.colour] = counts.get(result.colour, 0) + 1
    moved = sorted((r for r in results if r.rank_change), key=lambda r: (-r.rank_change, r.unit.code))
    return Headline(
        evaluation=evaluation, spec=spec, counts=tuple(counts.items()),
        new_reds=tuple(r for r in results if r.colour == "red" and r.unit_id not in red_before),
        risers=tuple(r for r in moved[:3] if r.rank_change > 0),
        fallers=tuple(r for r in reversed(moved[-3:]) if r.rank_change < 0),
    )  # fmt: skip


@dataclass(frozen=True)
class Region:
    """A district on the map: its shape, its unit, its result in the round (None: not scored in it)."""

    shape: boundaries.Shape
    unit: Unit | None
    result: UnitResult | None
    dimmed: bool  # outside the track the page is narrowed to
    labelled: bool  # large enough to carry its name in print


@dataclass(frozen=True)
class TileGroup:
    """Units without a polygon (development zones, municipal departments; every unit when the boundaries are not
    installed), as coloured tiles, by track."""

    track: object | None
    results: tuple[UnitResult, ...]


@dataclass(frozen=True)
class MapPage:
    evaluation: Evaluation
    ranking: RankingPage
    periods: tuple[Evaluation, ...]  # the plan's rounds the user may switch to, newest first
    width: int
    height: int
    regions: tuple[Region, ...]
    tiles: tuple[TileGroup, ...]
    boundaries_installed: bool
    headline: Headline
    track: str  # the track code the page is narrowed to ("" for all)
    drill: frozenset[int] | None  # the units whose breakdown the user may open (None: every unit)

    @property
    def spec(self) -> RuleSpec:
        return self.ranking.spec


#: Below this area (in the drawing's square units at 1000 wide) a district's name is not printed on it: the centre's
#: small districts (渝中区 is about 100) carry theirs in the tooltip, the ranking and the print's table.
LABEL_AREA = 2500
MAP_WIDTH = 1000


def default_evaluation(*, user) -> Evaluation | None:
    """The round the map opens on: the latest published one the user may read; for supervisors and leaders, when
    nothing is published yet, the latest computed draft."""
    visible = evaluation_list(user=user).exclude(status=Evaluation.Status.COMPUTING).order_by("-period_start",
                                                                                              "-version")
    published = visible.filter(status=Evaluation.Status.PUBLISHED).first()
    if published is not None or not user_scope(user).sees_all_units:
        return published
    return visible.first()


def map_page(*, user, evaluation_id: int, track: str = "", breakdowns: bool = False) -> MapPage:
    """The 五色图 of one round (404 out of sight, 403 for a unit before publication), narrowed to a track by
    dimming the others. A fixed number of queries."""
    ranking = ranking_page(user=user, evaluation_id=evaluation_id, breakdowns=breakdowns)
    evaluation = ranking.evaluation
    results = [row for group in ranking.tracks for row in group.rows]
    periods = evaluation_list(user=user).filter(plan_id=evaluation.plan_id).exclude(
        status=Evaluation.Status.COMPUTING).order_by("-period_start", "-version")  # fmt: skip
    scope = user_scope(user)
    if not scope.sees_all_units:
        periods = periods.filter(status=Evaluation.Status.PUBLISHED)
    drawing = boundaries.map_shapes(MAP_WIDTH)
    by_adcode = {row.unit.adcode: row for row in results if row.unit.adcode}
    by_name = {row.unit.short_name: row for row in results}
    regions, placed = [], set()
    if drawing is not None:
        for shape in drawing.shapes:
            row = by_adcode.get(shape.adcode) or by_name.get(shape.name)
            if row is not None:
                placed.add(row.unit_id)
            regions.append(Region(
                shape=shape, unit=row.unit if row else None, result=row,
                dimmed=bool(track) and (row is None or row.track is None or row.track.code != track),
                labelled=shape.area >= LABEL_AREA,
            ))  # fmt: skip
    tiles = []
    for group in ranking.tracks:
        rest = tuple(row for row in group.rows if row.unit_id not in placed)
        if rest:
            tiles.append(TileGroup(group.track, rest))
    return MapPage(
        evaluation=evaluation, ranking=ranking, periods=tuple(periods),
        width=drawing.width if drawing else MAP_WIDTH, height=drawing.height if drawing else 0,
        regions=tuple(regions), tiles=tuple(tiles), boundaries_installed=drawing is not None,
        headline=headline_of(evaluation, results, ranking.spec), track=track,
        drill=None if scope.sees_all_units else frozenset(scope.unit_ids),
    )  # fmt: skip


def bulletin_page(*, user, evaluation_id: int) -> MapPage:
    """The 晾晒 of a published round: its map, headline and every track's ranking (404 for a round not published
    or out of sight; the bulletin is what was made public)."""
    page = map_page(user=user, evaluation_id=evaluation_id, breakdowns=True)  # its ranking shows the components
    if page.evaluation.status != Evaluation.Status.PUBLISHED:
        raise NotFound
    return page

