"""``?light=`` and ``?as_of=`` on ``/api/tasks/``: tasks whose stored light (``evaluation.lights``) on a day is a
colour. Registered on ``tasks.api.filters.TaskFilter`` by ``EvaluationConfig.ready()`` (``tasks`` does not import
``evaluation``).

The filter narrows the scoped, filtered list: it never shows a task the user could not list. Before filtering it
makes sure the lights of every plan in the list are stored for the day (``lights_ensure``: one query when they are,
a computation of the missing plans' days when not), so an unstored day is computed, never answered as "none". The
colour is the computed one (as ``GET /api/tasks/{id}/light/`` gives it in ``colour``); overrides do not move it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from evaluation.lights import lights_ensure, task_has_light
from evaluation.rules import Colour
from tasks.models import Plan

COLOURS = [(colour.value, colour.value) for colour in Colour]
EARLIEST = date(2000, 1, 1)


def not_after_today(value: date) -> None:
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("不能晚于今天（%(today)s）。") % {"today": today.isoformat()})
    if value < EARLIEST:
        raise ValidationError(_("不能早于 2000 年。"))


def as_of_of(filterset: filters.FilterSet) -> date:
    """The filter set's ``as_of`` (already checked by its form), today in Asia/Shanghai when absent."""
    return filterset.form.cleaned_data.get("as_of") or timezone.localdate()


class AsOfFilter(filters.DateFilter):
    """``as_of``: the day of ``light`` (YYYY-MM-DD, not after today; default today). Alone it filters nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("与 light 连用：灯色日期 YYYY-MM-DD，默认今天（北京时间），不晚于今天"))
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("validators", [not_after_today])
        kwargs.setdefault("error_messages", {"invalid": _("日期格式应为 YYYY-MM-DD。")})
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        return qs  # only qualifies ``light``


class LightFilter(filters.ChoiceFilter):
    """``light``: tasks whose computed light on ``as_of`` is this colour."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", COLOURS)
        kwargs.setdefault("label", _("灯色（计算所得，不含人工调整）；日期见 as_of"))
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        as_of = as_of_of(self.parent)
        # The plans of the listed tasks: a plan is in if one of its tasks is (a probe per plan, not a DISTINCT over
        # every listed task), asked in the same query as whether their lights are stored.
        plans = Plan.objects.filter(Exists(qs.filter(plan_id=OuterRef("pk")))).values("pk")
        lights_ensure(plan_ids=plans, as_of=as_of)
        return qs.filter(task_has_light(as_of=as_of, colour=value))


def register() -> None:
    """Add the two parameters to ``/api/tasks/`` (``EvaluationConfig.ready``)."""
    from tasks.api.filters import TaskFilter, register_list_filter

    register_list_filter(TaskFilter, "as_of", AsOfFilter())
    register_list_filter(TaskFilter, "light", LightFilter())

