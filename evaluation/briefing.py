"""What ``evaluation`` tells the leadership in the weekly briefing (``tasks.briefing``; written and delivered by
``notifications``): the tasks whose light worsened over the week, new reds first, and the 赛马比拼 rounds published
in the week with their colours, new reds and biggest movers. Registered in ``EvaluationConfig.ready``.

Lights compare the stored lights (``evaluation.lights``) of each active plan on the latest stored day of the week
with the latest stored day of the week before; a plan with no stored day on either side says nothing (no comparison
is invented). Computed lights only: a supervisor's override is a judgement shown beside them, not a change of facts.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from evaluation.leadership import headline_of
from evaluation.models import Evaluation, LightDay, StoredLight, UnitResult
from evaluation.rules import RuleSpec
from evaluation.rules.colours import SEVERITY, Colour
from evaluation.selectors import rules_for
from evaluation.templatetags.judging import change, colour_label
from tasks.briefing import BriefingSection, Week
from tasks.models import Plan

MAX_LINES = 15


def _compared_days(week: Week) -> dict[int, tuple]:
    """Per active plan, (the latest stored day up to the week's last, the latest up to the week before's last), when
    both exist and differ. One query."""
    days: dict[int, list] = {}
    for plan_id, as_of in (LightDay.objects.filter(plan__status=Plan.Status.ACTIVE, as_of__lte=week.last)
                           .order_by("plan_id", "-as_of").values_list("plan_id", "as_of")):
        days.setdefault(plan_id, []).append(as_of)
    found = {}
    for plan_id, stored in days.items():
        now = stored[0] if stored[0] >= week.first else None
        then = next((day for day in stored if day <= week.before), None)
        if now is not None and then is not None:
            found[plan_id] = (now, then)
    return found


def lights_section(week: Week) -> BriefingSection | None:
    """Tasks whose light is worse than a week before, new reds first (then by how far they fell, then by code). Three
    queries, and one per plan for its palette."""
    days = _compared_days(week)
    if not days:
        return None
    either = Q()
    for plan_id, (now, then) in days.items():
        either |= Q(plan_id=plan_id, as_of__in=(now, then))
    rows = StoredLight.objects.filter(either).select_related("task").order_by("as_of")
    before: dict[int, str] = {}
    after: dict[int, StoredLight] = {}
    for row in rows:
        if row.as_of == days[row.plan_id][1]:
            before[row.task_id] = row.colour
        else:
            after[row.task_id] = row
    worse = []
    for task_id, row in after.items():
        was = before.get(task_id)
        if was is None or Colour.GREY in (was, row.colour):
            continue
        fall = SEVERITY[Colour(row.colour)] - SEVERITY[Colour(was)]
        if fall > 0:
            worse.append((row.colour != Colour.RED, -fall, row.task.code, row, was))
    if not worse:
        return None
    worse.sort(key=lambda item: item[:3])
    specs = {plan_id: rules_for(plan_id=plan_id, as_of=now)[1] for plan_id, (now, _then) in days.items()}
    lines = tuple(
        _("%(code)s %(title)s：%(was)s → %(now)s") % {
            "code": row.task.code, "title": row.task.title, "was": colour_label(specs[row.plan_id], was),
            "now": colour_label(specs[row.plan_id], row.colour)}
        for *_key, row, was in worse[:MAX_LINES])
    reds = sum(1 for item in worse if not item[0])
    title = _("任务亮灯：本周转差 %(n)s 项，其中新亮红灯 %(reds)s 项") % {"n": len(worse), "reds": reds}
    return BriefingSection(title=title, lines=lines, more=max(0, len(worse) - MAX_LINES))


def rounds_section(week: Week) -> BriefingSection | None:
    """The 赛马比拼 rounds published in the week (latest version of each), each with its colours, new reds and
    biggest movers. Two queries per round (results, the round before's reds), and one for the rounds."""
    published = list(Evaluation.objects.filter(status=Evaluation.Status.PUBLISHED,
                                               published_at__date__range=(week.first, week.last))
                     .select_related("plan").order_by("plan_id", "period_start", "version"))
    latest = {(evaluation.plan_id, evaluation.period): evaluation for evaluation in published}
    if not latest:
        return None
    lines: list[str] = []
    for evaluation in latest.values():
        spec = RuleSpec.from_data(evaluation.spec)
        results = list(UnitResult.objects.filter(evaluation=evaluation).select_related("unit"))
        headline = headline_of(evaluation, results, spec)
        counts = "、".join(f"{colour_label(spec, colour)} {n}" for colour, n in headline.counts if n)
        lines.append(_("%(period)s 赛马比拼已晾晒（第 %(version)s 版）：%(counts)s") % {
            "period": evaluation.period, "version": evaluation.version, "counts": counts})
        names = "、".join(result.unit.display_name for result in headline.new_reds) or _("无")
        lines.append(_("新亮红灯：%(units)s") % {"units": names})
        for label, movers in ((_("进步最大"), headline.risers), (_("退步最大"), headline.fallers)):
            if movers:
                lines.append(f"{label}：" + "、".join(f"{result.unit.display_name} {change(result.rank_change)}"
                                                    for result in movers))
    return BriefingSection(title=_("赛马比拼：本周晾晒"), lines=tuple(lines))
