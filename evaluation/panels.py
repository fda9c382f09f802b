"""The 赛马比拼's panels on the register's pages (``tasks.panels``), registered in ``EvaluationConfig.ready()``.

- The task page: the task's light today (computed from approved facts, with its reasons and a supervisor's
  override beside it) and its light in each published round.
- The unit page: the unit's score history (every published round: score, rank in its track, colour, a link to
  the breakdown) and the lights of the tasks it leads or contributes to, today (the stored daily lights, as the
  light board and ``?light=`` read them; a plan's day not stored yet is computed first).
Each costs the page a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from evaluation.leadership import headline_of
from evaluation.lights import stored_lights
from evaluation.models import Evaluation, StoredLight, TaskResult, UnitResult
from evaluation.rules import DEFAULT_SPEC, Colour, RuleSpec, worst
from evaluation.selectors import TaskLight, evaluation_list, rules_for, task_light_get
from tasks.models import PlanTask, TaskUnit
from tasks.selectors import task_list
from units.models import Unit

TASK_LIGHT_TEMPLATE = "evaluation/_task_light_panel.html"
UNIT_SCORES_TEMPLATE = "evaluation/_unit_scores_panel.html"


@dataclass(frozen=True)
class PublishedLight:
    evaluation: Evaluation
    result: TaskResult


def task_light_panel(request: HttpRequest | None, task: PlanTask) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    today = timezone.localdate()
    light = task_light_get(user=user, task_id=task.pk, as_of=today)
    published = evaluation_list(user=user).filter(plan_id=task.plan_id, status=Evaluation.Status.PUBLISHED)
    history = [
        PublishedLight(result.evaluation, result)
        for result in TaskResult.objects.filter(task=task, evaluation__in=published)
        .select_related("evaluation")
        .order_by("-evaluation__period_start", "-evaluation__version")
    ]
    return {"light": light, "light_spec": light_spec(light), "light_history": history}


def light_spec(light: TaskLight) -> RuleSpec:
    """The spec the light was judged with (its legend: labels and fills)."""
    return light.rule_set.rules if light.rule_set is not None else DEFAULT_SPEC


@dataclass(frozen=True)
class UnitTaskLight:
    task: PlanTask
    light: StoredLight  # today's, as the daily store has it (kept fresh on every change of its facts)
    role: str  # "lead" or "responsible"


def unit_scores_panel(request: HttpRequest | None, unit: Unit) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    published = evaluation_list(user=user).filter(status=Evaluation.Status.PUBLISHED)
    scores = list(
        UnitResult.objects.filter(unit=unit, evaluation__in=published)
        .select_related("evaluation", "evaluation__plan", "track")
        .order_by("-evaluation__period_start", "evaluation__plan_id", "-evaluation__version")
    )
    today = timezone.localdate()
    tasks = list(
        task_list(user=user)
        .filter(pk__in=TaskUnit.objects.filter(unit=unit).values("task_id"), children__isnull=True)
        .select_related("plan")
        .order_by("-plan__start_date", "plan__code", "sort_key")
    )
    stored = stored_lights(tasks=tasks, as_of=today)
    rows = [UnitTaskLight(task, stored[task.pk], "lead" if task.lead_unit_id == unit.pk else "responsible")
            for task in tasks if task.pk in stored]  # fmt: skip
    spec = rules_for(plan_id=tasks[0].plan_id, as_of=today)[1] if tasks else None
    rolled = worst(Colour(row.light.colour) for row in rows) if rows else None  # the unit's tasks, rolled up
    return {"unit_scores": scores, "unit_task_lights": rows, "unit_lights_spec": spec, "unit_light": rolled,
            "today": today}  # fmt: skip


HEADLINE_TEMPLATE = "evaluation/_headline_panel.html"


def headline_panel(request: HttpRequest | None, obj: Any) -> dict[str, Any]:
    """The home page's headline of the latest published 赛马比拼 the user may read: how many units of each colour,
    the new reds, the biggest movers, above the next steps. Three queries."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    latest = (evaluation_list(user=user).filter(status=Evaluation.Status.PUBLISHED)
              .order_by("-period_start", "-version").first())  # fmt: skip
    if latest is None:
        return {}
    results = list(UnitResult.objects.filter(evaluation=latest).select_related("unit"))
    return {"headline": headline_of(latest, results, RuleSpec.from_data(latest.spec))}
