"""Template helpers for the register pages: numbers, status colours, milestone states, the
navigation's roles, the small indicator chart and the panels higher apps add to a page. Pure
presentation; no writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.authtoken.models import Token

from tasks.due import DUE_SOON_DAYS, Due, DueKey
from tasks.models import Indicator, Milestone, PlanTask
from tasks.panels import page_panels
from tasks.selectors import milestone_due
from units.models import Unit
from units.selectors import user_memberships, user_scope

register = template.Library()

# The five domain colours are for status chips only (see static/css/luoshi.css).
TASK_STATUS_COLOURS = {
    PlanTask.Status.DONE: "blue",
    PlanTask.Status.IN_PROGRESS: "green",
    PlanTask.Status.NOT_STARTED: "grey",
}
# Due states: overdue red, due today or soon yellow, later grey, done blue (rule in tasks/due.py).
DUE_COLOURS = {
    DueKey.DONE: "blue",
    DueKey.OVERDUE: "red",
    DueKey.DUE_TODAY: "yellow",
    DueKey.DUE_SOON: "yellow",
    DueKey.LATER: "grey",
    DueKey.NONE: "grey",
}


@register.filter
def num(value: Any) -> str:
    """A number without trailing zeros (``25.00`` → ``25``, ``3.50`` → ``3.5``); ``—`` for None."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@register.filter
def status_colour(task: PlanTask) -> str:
    """The chip colour of a task's status."""
    return TASK_STATUS_COLOURS.get(task.status, "grey")


def due_label(due: Due) -> str:
    """A due state for people: 逾期 3 天, 今天到期, 5 天后到期 (also beyond the due-soon window), 已完成."""
    if due.key == DueKey.DONE:
        return _("已完成")
    if due.key == DueKey.OVERDUE:
        return ngettext("逾期 %(days)d 天", "逾期 %(days)d 天", due.days_overdue) % {"days": due.days_overdue}
    if due.key == DueKey.DUE_TODAY:
        return _("今天到期")
    if due.key in (DueKey.DUE_SOON, DueKey.LATER):
        return ngettext("%(days)d 天后到期", "%(days)d 天后到期", due.days_left) % {"days": due.days_left}
    return "—"


@register.simple_tag
def due_soon_days() -> int:
    """The due-soon window in days (``tasks.due.DUE_SOON_DAYS``), for labels such as "7 天内到期节点"."""
    return DUE_SOON_DAYS


@dataclass(frozen=True)
class MilestoneState:
    key: str  # a tasks.due.DueKey: done | overdue | due_today | due_soon | later
    label: str
    colour: str


@register.simple_tag
def milestone_state(milestone: Milestone, today: date) -> MilestoneState:
    """The milestone's chip: the one due rule (``tasks.due``) with its label and colour."""
    due = milestone_due(milestone, today=today)
    return MilestoneState(str(due.key), due_label(due), DUE_COLOURS[due.key])


@register.simple_tag(takes_context=True)
def nav_memberships(context: template.Context) -> list:
    """The signed-in user's memberships (unit and role) for the navigation bar; one query per page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(request, "_luoshi_nav_memberships", None)
    if cached is None:
        cached = list(user_memberships(user=user).order_by("unit__order", "role"))
        request._luoshi_nav_memberships = cached
    return cached


@register.simple_tag(takes_context=True)
def shows_api_docs(context: template.Context) -> bool:
    """Whether the navigation offers "API 文档": to those who use the API — supervisors (they configure the
    register and connect other systems to it), staff, and anyone who holds an API token. The page itself is
    open to every signed-in user. At most one query (the token), none for supervisors and staff."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user_scope(user).is_supervisor:
        return True
    return Token.objects.filter(user=user).exists()


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    year: int
    value: Decimal
    kind: str  # baseline | interim | target
    illustrative: bool

    @property
    def label_y(self) -> float:
        return round(self.y - 10, 1)


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    year_y: float
    points: tuple[ChartPoint, ...]
    path: str
    top: float
    bottom: float
    left: float
    right: float
    max_value: Decimal
    min_value: Decimal
    has_illustrative: bool


def chart_geometry(
    values: list[tuple[int, Decimal, str, bool]], *, width: int = 360, height: int = 170
) -> Chart | None:
    """Place (year, value, kind, illustrative) points in an SVG box: years along x, values along y
    (with 10 % headroom). A year given twice keeps its last entry. None without two distinct points."""
    by_year: dict[int, tuple[int, Decimal, str, bool]] = {}
    for item in values:
        by_year[item[0]] = item
    ordered = [by_year[year] for year in sorted(by_year)]
    if len(ordered) < 2:
        return None
    left, right, top, bottom = 48.0, width - 18.0, 26.0, height - 28.0
    years = [item[0] for item in ordered]
    numbers = [item[1] for item in ordered]
    low, high = min(numbers), max(numbers)
    span = high - low or abs(high) or Decimal(1)
    low_axis, high_axis = low - span / 10, high + span / 10
    year_span = (years[-1] - years[0]) or 1

    def x_of(year: int) -> float:
        return round(left + (right - left) * (year - years[0]) / year_span, 1)

    def y_of(value: Decimal) -> float:
        return round(float(bottom - (bottom - top) * float((value - low_axis) / (high_axis - low_axis))), 1)

    points = tuple(
        ChartPoint(x=x_of(year), y=y_of(value), year=year, value=value, kind=kind, illustrative=illustrative)
        for year, value, kind, illustrative in ordered
    )
    path = "M" + " L".join(f"{p.x},{p.y}" for p in points)
    return Chart(
        width=width, height=height, year_y=height - 8.0, points=points, path=path,
        top=top, bottom=bottom, left=left, right=right,
        max_value=high, min_value=low, has_illustrative=any(p.illustrative for p in points),
    )


@register.inclusion_tag("tasks/_indicator_chart.html")
def indicator_chart(indicator: Indicator) -> dict[str, Any]:
    """A small line chart of baseline → interim targets → target. Needs ``interim_targets`` prefetched."""
    values = [(indicator.baseline_year, indicator.baseline_value, "baseline", indicator.baseline_illustrative)]
    values += [(t.year, t.value, "interim", t.illustrative) for t in indicator.interim_targets.all()]
    values.append((indicator.target_year, indicator.target_value, "target", False))
    return {"chart": chart_geometry(values), "indicator": indicator}


_CITY_PREFIXES = ("Chongqing Municipal ", "Chongqing ")


@register.filter
def unit_label(unit: Unit | None) -> str:
    """A unit's name for crowded places (tables, lists): the Chinese short name, or in English the
    English name without the leading "Chongqing (Municipal)" that every unit shares."""
    if unit is None:
        return ""
    name = unit.display_name
    if name != unit.short_name:
        for prefix in _CITY_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix):
                return name[len(prefix):]
    return name


@register.simple_tag(takes_context=True)
def panels(context: template.Context, page: str, obj: Any) -> SafeString:
    """The panels registered for ``page`` (``tasks.panels``), rendered in order: each panel's template sees the
    page's context plus what its context function returns for (request, ``obj``)."""
    request = context.get("request")
    engine = context.template.engine
    html = []
    for panel in page_panels(page):
        with context.push(panel.context(request, obj)):
            html.append(engine.get_template(panel.template).render(context))
    return mark_safe("".join(html))  # each template escaped what it printed
