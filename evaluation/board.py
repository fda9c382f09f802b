"""The task-light board: every task's light on a day, worst first, for whoever may read the tasks (a read of the
stored daily lights, kept here because it needs both ``evaluation.lights`` and ``evaluation.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from evaluation.lights import stored_lights
from evaluation.models import LightOverride
from evaluation.rules import RuleSpec
from evaluation.selectors import rules_for
from tasks.models import PlanTask
from tasks.selectors import task_list


@dataclass(frozen=True)
class BoardRow:
    task: PlanTask
    light: object  # evaluation.models.StoredLight: today's computed light
    override: LightOverride | None  # a supervisor's one-level move of this very light, if any


@dataclass(frozen=True)
class LightBoard:
    as_of: date
    rows: tuple[BoardRow, ...]
    counts: tuple[tuple[str, int], ...]  # per colour, worst first, over the filtered tasks before the colour filter
    spec: RuleSpec


BOARD_ORDER = ("red", "orange", "yellow", "green", "blue", "grey")


def light_board(*, user, as_of: date, plan_id: int | None = None, unit_id: int | None = None,
                colour: str = "", part: PlanTask | None = None) -> LightBoard:  # fmt: skip
    """Every task's light on ``as_of`` that the user may read (leaf tasks with a lead unit), worst first, with its
    reasons and a supervisor's override beside it; narrowed by plan, by part (a top-level task: the tasks below it),
    by unit (lead or responsible) and by colour.
    The stored daily lights (``evaluation.lights``), made trustworthy for the plans shown first. A fixed number of
    queries whatever the number of tasks."""
    tasks = task_list(user=user).filter(children__isnull=True, lead_unit__isnull=False)
    if plan_id is not None:
        tasks = tasks.filter(plan_id=plan_id)
    if part is not None:
        tasks = tasks.filter(plan_id=part.plan_id, code__startswith=f"{part.code}.")
    if unit_id is not None:
        tasks = tasks.filter(Q(lead_unit_id=unit_id) | Q(task_units__unit_id=unit_id)).distinct()
    tasks = list(tasks.order_by("plan_id", "sort_key"))
    stored = stored_lights(tasks=tasks, as_of=as_of)
    latest: dict[int, LightOverride] = {}
    for override in LightOverride.objects.filter(task__in=list(stored)).select_related("by").order_by("task_id", "at"):
        latest[override.task_id] = override
    counts = dict.fromkeys(BOARD_ORDER, 0)
    rows = []
    for task in tasks:
        light = stored.get(task.pk)
        if light is None:
            continue
        counts[light.colour] = counts.get(light.colour, 0) + 1
        if colour and light.colour != colour:
            continue
        override = latest.get(task.pk)
        rows.append(BoardRow(task, light, override if override and override.computed == light.colour else None))
    rows.sort(key=lambda row: BOARD_ORDER.index(row.light.colour) if row.light.colour in BOARD_ORDER else 9)
    plan_for_spec = plan_id if plan_id is not None else (tasks[0].plan_id if tasks else 0)
    return LightBoard(as_of=as_of, rows=tuple(rows), counts=tuple(counts.items()),
                      spec=rules_for(plan_id=plan_for_spec, as_of=as_of)[1])  # fmt: skip
