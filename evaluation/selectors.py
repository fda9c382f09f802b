"""Scoped reads of the evaluation app. Rule sets are readable by every signed-in user: units must be able to see
how they are judged. A task's light is readable by whoever may read the task (it is computed from the register's
approved facts, which the task page shows already)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from evaluation.models import Appeal, Evaluation, LightOverride, RuleSet, UnitResult
from evaluation.rules import DEFAULT_SPEC, Colour, Light, RuleSpec, task_light
from evaluation.rules.colours import SEVERITY
from evaluation.rules.lights import roll_up_tree
from evaluation.snapshot import task_facts, task_tree, with_subtrees
from tasks.errors import NotFound
from tasks.models import PlanTask
from tasks.periods import parse_period, quarter_of
from tasks.selectors import plan_list, task_list
from units.selectors import user_scope


def rule_set_list(*, user) -> QuerySet[RuleSet]:
    """Every rule set, newest start first, for any signed-in user (none for anyone else)."""
    if not getattr(user, "is_authenticated", False):
        return RuleSet.objects.none()
    return RuleSet.objects.select_related("plan").order_by("-effective_start", "code", "-version")


def active_rule_set(*, plan_id: int, period: str) -> RuleSet | None:
    """The rule set in force for a plan in a period: the plan's own with the latest start not after the period's
    start; failing that, the general one likewise; None when no rule set starts early enough."""
    start = parse_period(period).start
    return (
        RuleSet.objects.filter(Q(plan_id=plan_id) | Q(plan__isnull=True), effective_start__lte=start)
        .order_by(F("plan_id").asc(nulls_last=True), "-effective_start")
        .first()
    )


@dataclass(frozen=True)
class OverrideView:
    colour: str
    computed: str
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class TaskLight:
    task_id: int
    as_of: date
    light: Light
    rule_set: RuleSet | None
    override: OverrideView | None  # the latest override, while the computed light is still the one it was given for


def _visible_task(*, user, task_id: int) -> PlanTask:
    task = task_list(user=user).filter(pk=task_id).first()
    if task is None:
        raise NotFound
    return task


def rules_for(*, plan_id: int, as_of: date) -> tuple[RuleSet | None, RuleSpec]:
    """The rule set in force on ``as_of`` for a plan (DOMAIN.md's defaults when none is stored)."""
    rule_set = active_rule_set(plan_id=plan_id, period=quarter_of(as_of).code)
    return rule_set, (rule_set.rules if rule_set is not None else DEFAULT_SPEC)


def task_lights(*, user, task_ids: list[int], plan_id: int, as_of: date) -> dict[int, TaskLight]:
    """Lights of the given tasks of one plan, as of a day, with their current overrides; a parent's light is rolled
    up from the tasks below it (the worst). Scoped: tasks the user cannot read are left out. A fixed number of
    queries whatever the number of tasks."""
    visible = list(task_list(user=user).filter(pk__in=task_ids, plan_id=plan_id).values_list("pk", flat=True))
    rule_set, spec = rules_for(plan_id=plan_id, as_of=as_of)
    tree = task_tree(plan_id=plan_id)
    needed = with_subtrees(tree, visible)  # a parent's light rolls up from every task below it
    facts = task_facts(plan_id=plan_id, task_ids=needed, as_of=as_of, missed_window=spec.lights.missed_window)
    lights = roll_up_tree({pk: task_light(each, as_of, spec) for pk, each in facts.items()},
                          {pk: tree[pk] for pk in needed})  # fmt: skip
    latest: dict[int, LightOverride] = {}
    for override in LightOverride.objects.filter(task_id__in=visible).select_related("by").order_by("task_id", "at"):
        latest[override.task_id] = override
    result = {}
    for task_id in visible:
        light = lights[task_id]
        override = latest.get(task_id)
        shown = None
        if override is not None and override.computed == light.colour:
            shown = OverrideView(override.colour, override.computed, override.reason, override.by.username, override.at)
        result[task_id] = TaskLight(task_id, as_of, light, rule_set, shown)
    return result


def task_light_get(*, user, task_id: int, as_of: date) -> TaskLight:
    """One task's light (404 when the user cannot read the task)."""
    task = _visible_task(user=user, task_id=task_id)
    return task_lights(user=user, task_ids=[task.pk], plan_id=task.plan_id, as_of=as_of)[task.pk]


def evaluation_list(*, user) -> QuerySet[Evaluation]:
    """Evaluations the user may see: supervisors and leaders all of them; everyone else the published ones and those
    in their appeal window (where each unit reads only its own breakdown)."""
    scope = user_scope(user)
    if not getattr(user, "is_authenticated", False):
        return Evaluation.objects.none()
    qs = Evaluation.objects.select_related("plan", "rule_set").filter(plan__in=plan_list(user=user))
    if not scope.sees_all_units:
        qs = qs.filter(status__in=(Evaluation.Status.PUBLISHED, Evaluation.Status.APPEALS))
    return _with_step_and_versions(qs)


def _with_step_and_versions(qs: QuerySet[Evaluation]) -> QuerySet[Evaluation]:
    """Annotate each evaluation with the flow step it waits on (``step_ref``: the open task's node reference, None
    once ended) and the neighbouring versions of the same plan and period the same user may see (``previous_id``,
    ``next_id``), in the same query."""
    open_task = FlowTask.objects.filter(
        process_id=OuterRef("process_id"), status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
    ).order_by("-pk")
    same_period = qs.filter(plan_id=OuterRef("plan_id"), period=OuterRef("period"))
    return qs.annotate(
        step_ref=Subquery(open_task.values("flow_task")[:1]),
        previous_id=Subquery(
            same_period.filter(version__lt=OuterRef("version")).order_by("-version").values("pk")[:1]
        ),
        next_id=Subquery(same_period.filter(version__gt=OuterRef("version")).order_by("version").values("pk")[:1]),
    )


def published_before(evaluation: Evaluation) -> QuerySet[Evaluation]:
    """The plan's published rounds of earlier periods, newest first (the latest version of a period first): what a
    round compares itself with. Unscoped: the caller has already read ``evaluation`` with the user's scope."""
    return Evaluation.objects.filter(
        plan_id=evaluation.plan_id, status=Evaluation.Status.PUBLISHED, period_start__lt=evaluation.period_start
    ).order_by("-period_start", "-version")


def evaluation_get(*, user, evaluation_id: int) -> Evaluation:
    evaluation = evaluation_list(user=user).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise NotFound
    return evaluation


def ranking_visible(*, user, evaluation: Evaluation) -> bool:
    """The ranking: supervisors and leaders always; everyone once published."""
    return user_scope(user).sees_all_units or evaluation.status == Evaluation.Status.PUBLISHED


def evaluation_ranking(*, user, evaluation: Evaluation, track: str | None = None) -> QuerySet[UnitResult]:
    """An evaluation's unit results by track, rank, unit code (403 for a unit before publication)."""
    if not ranking_visible(user=user, evaluation=evaluation):
        raise PermissionDenied(_("结果发布前，排名只对督查专班和领导可见。"))
    qs = evaluation.unit_results.select_related("unit", "track").order_by(
        F("track__order").asc(nulls_last=True), "track_id", F("rank").asc(nulls_last=True), "unit__code"
    )
    return qs.filter(track__code=track) if track else qs


def unit_breakdown(*, user, evaluation: Evaluation, unit_id: int) -> UnitResult:
    """One unit's breakdown: supervisors and leaders any unit; a unit its own (published, or in the appeal window).
    Anything else is a 404, never saying whether the unit was scored."""
    scope = user_scope(user)
    if not scope.sees_all_units and unit_id not in scope.unit_ids:
        raise NotFound
    result = evaluation.unit_results.select_related("unit", "track").filter(unit_id=unit_id).first()
    if result is None:
        raise NotFound
    return result


def evaluation_actions(*, user, evaluation: Evaluation) -> list[str]:
    """What the user may do with the evaluation now (drives the buttons and the API's ``actions``)."""
    scope = user_scope(user)
    status = evaluation.status
    actions: list[str] = []
    if scope.is_supervisor:
        actions += {
            Evaluation.Status.ADJUSTING: ["adjust", "rate", "open_appeals"],
            Evaluation.Status.APPEALS: ["resolve_appeal", "submit"],
            Evaluation.Status.APPROVED: ["publish"],
        }.get(status, [])
    if scope.is_leader and status == Evaluation.Status.APPROVAL:
        actions += ["approve", "return"]
    if status == Evaluation.Status.APPEALS and any(
        scope.has_role(unit_id, role) for unit_id in scope.unit_ids for role in ("reporter", "head")
    ):
        actions.append("appeal")
    return actions


def appeal_list(*, user, evaluation: Evaluation) -> QuerySet[Appeal]:
    """Appeals of an evaluation: supervisors and leaders all; a unit its own."""
    scope = user_scope(user)
    qs = evaluation.appeals.select_related("unit", "by", "resolved_by").order_by("at", "pk")
    return qs if scope.sees_all_units else qs.filter(unit_id__in=scope.unit_ids)


# -- pages ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackRanking:
    track: object | None  # units.Track, None for units outside every track
    rows: tuple[UnitResult, ...]


@dataclass(frozen=True)
class RankingPage:
    evaluation: Evaluation
    spec: RuleSpec
    tracks: tuple[TrackRanking, ...]
    all_tracks: tuple[object, ...]  # every track of the evaluation, for the filter
    colour_counts: tuple[tuple[str, int], ...]  # legend order: (colour, units of that colour)
    actions: tuple[str, ...]
    appeals: tuple[Appeal, ...]  # every appeal of the round (the ranking is for those who see all units)
    history: dict  # unit id → its scores in the plan's last published rounds up to this one (oldest first)


#: The ranking's orders (``?sort=``): each a key of a row, within its track; rank (then unit code) by default.
RANKING_SORTS = {
    "score": lambda row: (-row.score, row.unit.code),
    "score_change": lambda row: (row.score_change is None, -(row.score_change or 0), row.unit.code),
    "rank_change": lambda row: (row.rank_change is None, -(row.rank_change or 0), row.unit.code),
    "unit": lambda row: row.unit.code,
}


def ranking_page(*, user, evaluation_id: int, track: str = "", sort: str = "", breakdowns: bool = True) -> RankingPage:
    """An evaluation's ranking by track (in rank order, or by ``sort``: a key of ``RANKING_SORTS``), its legend
    from the evaluation's own rule spec and how many units each colour has (403 for a unit before publication; 404
    out of sight). A fixed number of queries whatever the size."""
    evaluation = evaluation_get(user=user, evaluation_id=evaluation_id)
    rows = evaluation_ranking(user=user, evaluation=evaluation)
    rows = list(rows if breakdowns else rows.defer("breakdown"))  # ~22 kB of JSON a unit at 5,000 tasks
    spec = RuleSpec.from_data(evaluation.spec)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.colour] = counts.get(row.colour, 0) + 1
    all_tracks: dict[object, object] = {}
    grouped: dict[object, list[UnitResult]] = {}
    for row in rows:
        all_tracks.setdefault(row.track_id, row.track)
        if not track or (row.track is not None and row.track.code == track):
            grouped.setdefault(row.track_id, []).append(row)
    return RankingPage(
        evaluation=evaluation,
        spec=spec,
        tracks=tuple(TrackRanking(all_tracks[key], tuple(sorted(group, key=RANKING_SORTS[sort]) if sort in RANKING_SORTS
                                                         else group)) for key, group in grouped.items()),
        all_tracks=tuple(each for each in all_tracks.values() if each is not None),
        colour_counts=tuple((swatch.colour.value, counts.get(swatch.colour.value, 0)) for swatch in spec.legend()),
        actions=tuple(evaluation_actions(user=user, evaluation=evaluation)),
        appeals=tuple(appeal_list(user=user, evaluation=evaluation).select_related("unit")),
        history=_score_history(evaluation),
    )


SPARK_ROUNDS = 8


def _score_history(evaluation: Evaluation) -> dict[int, list]:
    """Each unit's scores in the plan's last published rounds up to this one (this one included, published or not),
    oldest first: the ranking's sparklines. One query."""
    earlier = published_before(evaluation).values("pk")[:SPARK_ROUNDS - 1]
    history: dict[int, list] = {}
    rows = (UnitResult.objects.filter(Q(evaluation__in=earlier) | Q(evaluation=evaluation))
            .order_by("evaluation__period_start", "evaluation__version").values_list("unit_id", "score"))  # fmt: skip
    for unit_id, score in rows:
        history.setdefault(unit_id, []).append(score)
    return history


@dataclass(frozen=True)
class BreakdownPage:
    evaluation: Evaluation
    spec: RuleSpec
    result: UnitResult
    ranking_visible: bool
    actions: tuple[str, ...]  # what the user may do on this unit's breakdown now: adjust, rate, appeal
    appeals: tuple[Appeal, ...]  # this unit's appeals, with their replies


def breakdown_page(*, user, evaluation_id: int, unit_id: int) -> BreakdownPage:
    """One unit's breakdown in an evaluation, with the spec it was computed with (404 for whoever may not read it)."""
    evaluation = evaluation_get(user=user, evaluation_id=evaluation_id)
    result = unit_breakdown(user=user, evaluation=evaluation, unit_id=unit_id)
    scope = user_scope(user)
    allowed = set(evaluation_actions(user=user, evaluation=evaluation))
    actions = [act for act in ("adjust", "rate") if act in allowed]
    if "appeal" in allowed and (scope.has_role(unit_id, "reporter") or scope.has_role(unit_id, "head")):
        actions.append("appeal")
    appeals = appeal_list(user=user, evaluation=evaluation).filter(unit_id=unit_id).select_related("unit")
    return BreakdownPage(evaluation=evaluation, spec=RuleSpec.from_data(evaluation.spec), result=result,
                         ranking_visible=ranking_visible(user=user, evaluation=evaluation), actions=tuple(actions),
                         appeals=tuple(appeals))  # fmt: skip



@dataclass(frozen=True)
class AgendaTask:
    result: object  # TaskResult of this round (red or orange)
    red_before: bool  # red in the previous published round too


@dataclass(frozen=True)
class AgendaUnit:
    result: UnitResult
    before: str  # its colour in the previous published round


@dataclass(frozen=True)
class StocktakeAgenda:
    evaluation: Evaluation
    previous: Evaluation | None
    spec: RuleSpec
    tasks: tuple[AgendaTask, ...]  # red, then orange; red two rounds running first among the reds
    fallen: tuple[AgendaUnit, ...]  # units whose colour is worse than in the previous published round
    red_twice: int


def stocktake_agenda(*, user, evaluation_id: int) -> StocktakeAgenda:
    """The supervisors' meeting list for a round (盘点议程): its red and orange tasks with their reasons and lead
    unit, the units that fell a colour since the previous published round, the tasks red two rounds running.
    Supervisors and leaders only (403 for others, 404 out of sight). Six queries."""
    evaluation = evaluation_get(user=user, evaluation_id=evaluation_id)
    if not user_scope(user).sees_all_units:
        raise PermissionDenied(_("盘点议程只对督查专班和领导开放。"))
    previous = published_before(evaluation).first()
    red_before = set()
    colours_before: dict[int, str] = {}
    if previous is not None:
        red_before = set(previous.task_results.filter(colour="red").values_list("task_id", flat=True))
        colours_before = dict(previous.unit_results.values_list("unit_id", "colour"))
    results = list(
        evaluation.task_results.filter(colour__in=("red", "orange"), task__children__isnull=True)
        .select_related("task", "task__lead_unit", "task__plan")
        .order_by("task__sort_key")
    )
    tasks = sorted((AgendaTask(r, r.colour == "red" and r.task_id in red_before) for r in results),
                   key=lambda t: (t.result.colour != "red", not t.red_before))  # fmt: skip
    fallen = []
    for result in evaluation.unit_results.select_related("unit").order_by("unit__order", "unit__code"):
        before = colours_before.get(result.unit_id)
        judged = before not in (None, "grey") and result.colour != "grey"
        if judged and SEVERITY[Colour(result.colour)] > SEVERITY[Colour(before)]:
            fallen.append(AgendaUnit(result, before))
    return StocktakeAgenda(evaluation=evaluation, previous=previous, spec=RuleSpec.from_data(evaluation.spec),
                           tasks=tuple(tasks), fallen=tuple(fallen),
                           red_twice=sum(1 for t in tasks if t.red_before))  # fmt: skip
