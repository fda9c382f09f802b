"""The demo's illustrative history (示例): the Chongqing plan's past quarterly rounds, from 2023-Q4 to the last one
whose reports were due before today, carried through the real reporting services — each on its own dates, so
on-time, late and missing mean what they say — with a deterministic spread.

Every unit gets a steady profile (most diligent, a few not, and a few laggards named in ``LAGGARDS``) and every
task a pace; from them each part is submitted on time, late or not at all, sometimes sent back once inside the unit;
each task report is consolidated, signed off and approved, sometimes returned once by a supervisor first (and the
laggards' parts in it, one by one); milestones are completed on, before or after their dates (or not at all), and
indicators move along a path toward their targets. The round is closed by a supervisor a week after its due date
(what was not submitted by then is missing). Of the current quarter, one thing: a milestone brought forward to a
date just past, so the day's light board shows a yellow too (``_bring_forward``).

The loader moves the clock (``tasks.demo.at_moment``, with ``time_machine``: the services read ``timezone.now()``;
nothing else in the product does this). A quarter is one transaction, so an interrupted load leaves whole quarters;
a quarter whose round exists is skipped, so running the loader again adds only what is missing. Only the demo
calls this.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum

from tasks.demo import at_moment, demo_moment
from tasks.lifecycle import Kind, Status
from tasks.models import Indicator, Milestone, Plan, PlanTask, Report, ReportingRound
from tasks.periods import Period, parse_period, quarter_of
from tasks.services import milestone_update, task_update
from units.models import Membership, Unit
from workflow import services

FIRST_QUARTER = "2023-Q4"
DUE_AFTER_END = timedelta(days=10)  # as the demo's open round: the 10th day after the quarter
CLOSE_AFTER_DUE = timedelta(days=8)
ILLUSTRATIVE = "（示例）"
RETURN_REASON = "佐证材料不完整，请补充后重新报送（示例）"
ACCEPTED = "节点全部完成，验收办结（示例）"
BROUGHT_FORWARD = "按专班调度要求，节点提前至 %(day)s 完成（示例）"
BROUGHT_FORWARD_BY = timedelta(days=3)  # the new date: this long before the day the demo is loaded

# Each unit's profile: (share of units, P(on time), P(late) — the rest is never submitted —, P(in-unit return),
# the most P(a due milestone is done in a quarter) its tasks reach when it leads them, the most indicator pace its
# tasks reach). The last two are never drawn (share 0): they are given by name (``LAGGARDS``).
PROFILES = {
    "good": (0.50, 0.95, 0.0495, 0.03, 1.00, Decimal("1.10")),
    "fair": (0.28, 0.84, 0.1585, 0.06, 0.95, Decimal("1.00")),
    "poor": (0.14, 0.62, 0.36, 0.10, 0.70, Decimal("0.85")),
    "weak": (0.08, 0.40, 0.56, 0.14, 0.50, Decimal("0.68")),
    "laggard": (0.00, 0.03, 0.95, 0.20, 0.50, Decimal("0.68")),  # reports late, its parts come back
    "stalling": (0.00, 0.40, 0.56, 0.14, 0.04, Decimal("0.50")),  # reports like a weak unit, its tasks stall
}
# The laggards (示例), by unit code, so that the map of a published round shows its whole legend from the units' own
# work, nothing forced (no deduction, no veto). A district leads no task of the plan and most share the same
# city-led tasks, so its score moves only with its own reporting (F3): a laggard district — late parts, sent back in
# the unit and by the supervisors (``SUPERVISOR_PART_RETURN``) — lands in yellow (70–80), where even a weak one stays
# green. One in each of three tracks (中心城区, 主城新区, 渝东北); a fourth would make the load a few seconds longer,
# as each part sent back goes round its unit, the lead unit and the review again. A department leads tasks, so its
# score follows them: a stalling one's tasks get few milestones done, and its consolidated reports come late or not
# at all (``CONSOLIDATION_DELAY``). 能源局 leads two tasks among few others: red, its track's bottom. 市场监管局
# leads one among many it shares: yellow or orange — and 重庆海关, with one of its two parts in that task, orange.
LAGGARDS = {"nanan": "laggard", "hechuan": "laggard", "fengdu": "laggard", "nyj": "stalling", "scjgj": "stalling"}
# Each task's own pace (the lead unit leads many tasks, and they do not all go alike): (share of tasks, P(a due
# milestone is done in a quarter), completion offset in days from its due date (low, high), indicator pace).
PACES = {
    "on_track": (0.50, 0.98, (-35, 0), Decimal("1.06")),
    "steady": (0.20, 0.88, (-5, 6), Decimal("0.90")),
    "slow": (0.18, 0.60, (2, 30), Decimal("0.80")),
    "stalled": (0.12, 0.25, (20, 80), Decimal("0.50")),
}
# P(a supervisor returns the task report once) by its lead unit's profile; P(a supervisor returns a unit's part of
# it) by that unit's profile (only a laggard's; each part on its own: the report comes back after each); the days a
# lead unit of that profile lets the consolidated report wait once its parts are in (past the close: never sent).
SUPERVISOR_RETURN = {"good": 0.04, "fair": 0.10, "poor": 0.18, "weak": 0.25, "laggard": 0.30, "stalling": 0.30}
SUPERVISOR_PART_RETURN = {"laggard": 0.75}
CONSOLIDATION_DELAY = {"stalling": (2, 10)}

NARRATIVES = (
    "本季度按计划推进各项工作，重点项目进展顺利。",
    "围绕年度目标细化责任清单，协调解决要素保障问题。",
    "组织专题调度，推动在建项目加快建设、投产项目加快达产。",
    "梳理存在的困难和问题，已提请相关部门协调解决。",
)


@dataclass
class HistoryReport:
    quarters: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    reports: int = 0
    approved: int = 0
    accepted: int = 0
    brought_forward: str = ""  # the milestone brought forward to a date just past (see _bring_forward)

    def summary(self) -> str:
        added = f"{self.quarters[0]}…{self.quarters[-1]}" if self.quarters else "none"
        moved = f"; milestone “{self.brought_forward}” brought forward" if self.brought_forward else ""
        return (f"history: {len(self.quarters)} quarters added ({added}), {len(self.skipped)} already there; "
                f"{self.reports} reports, {self.approved} task reports approved, {self.accepted} tasks accepted{moved}")


def past_quarters(today: date) -> list[Period]:
    """From 2023-Q4 to the last quarter whose round is due and closed (due date + a week) before ``today``."""
    quarters, period = [], parse_period(FIRST_QUARTER)
    while period.end + DUE_AFTER_END + CLOSE_AFTER_DUE < today:
        quarters.append(period)
        period = quarter_of(period.end + timedelta(days=1))
    return quarters


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(part) for part in ("luoshi-demo", *parts)))


#: The history's rows by what names them in the plan (task and indicator codes, a milestone's task, order and title,
#: a unit's code), not by database id: the same draws on every database, whatever ids earlier rows used up
#: (a test database's sequences run on between tests). Filled by ``history_load``.
_NAMES: dict[tuple[str, int], str] = {}


def _named(kind: str, pk: int) -> str:
    return _NAMES.get((kind, pk), f"{kind}-{pk}")


def _load_names(plan: Plan) -> None:
    _NAMES.clear()
    tasks = dict(PlanTask.objects.filter(plan=plan).values_list("pk", "code"))
    _NAMES.update({("task", pk): code for pk, code in tasks.items()})
    _NAMES.update({("unit", pk): code for pk, code in Unit.objects.values_list("pk", "code")})
    indicators = Indicator.objects.filter(plan=plan).values_list("pk", "code")
    _NAMES.update({("indicator", pk): code for pk, code in indicators})
    milestones = Milestone.objects.filter(task__plan=plan).values_list("pk", "task_id", "order", "title")
    _NAMES.update({("milestone", pk): f"{tasks.get(task_id)}#{order}:{title}"
                   for pk, task_id, order, title in milestones})


def unit_profile(unit: Unit) -> str:
    """The unit's steady profile: its own for the units named in ``LAGGARDS``, otherwise drawn once from its code
    (the same on every load)."""
    if unit.code in LAGGARDS:
        return LAGGARDS[unit.code]
    draw, acc = _rng("unit", unit.code).random(), 0.0
    for name, (share, *_rest) in PROFILES.items():
        acc += share
        if draw < acc:
            return name
    return "weak"


def task_pace(task_id: int) -> tuple[float, tuple[int, int], Decimal]:
    """The task's steady pace, drawn once from its code (``_NAMES``): P(a due milestone done per quarter),
    completion offsets, indicator pace."""
    draw, acc = _rng("task", _named("task", task_id)).random(), 0.0
    for share, done, offsets, pace in PACES.values():
        acc += share
        if draw < acc:
            return done, offsets, pace
    return PACES["stalled"][1:]


@dataclass
class _People:
    supervisor: User
    reporters: dict[int, User]
    heads: dict[int, User]

    @classmethod
    def load(cls) -> _People:
        reporters, heads = {}, {}
        for unit_id, role, user in (Membership.objects.filter(user__username__regex=r"-(reporter|head)$")
                                    .select_related("user").values_list("unit_id", "role", "user")):  # fmt: skip
            (reporters if role == Membership.Role.REPORTER else heads).setdefault(unit_id, user)
        users = User.objects.in_bulk({*reporters.values(), *heads.values()})
        return cls(
            supervisor=User.objects.get(username="supervisor"),
            reporters={unit: users[pk] for unit, pk in reporters.items()},
            heads={unit: users[pk] for unit, pk in heads.items()},
        )


def history_load(*, plan: Plan, today: date) -> HistoryReport:
    """Add every past quarter of ``plan`` that has no round yet (see the module's docstring). The demo's reporter and
    head accounts of every unit of the plan's tasks must exist (``tasks.demo.round_accounts_load``)."""
    report = HistoryReport()
    _load_names(plan)
    people = _People.load()
    existing = set(ReportingRound.objects.filter(plan=plan).values_list("period", flat=True))
    profiles = {unit.pk: unit_profile(unit) for unit in Unit.objects.all()}
    for period in past_quarters(today):
        if period.code in existing:
            report.skipped.append(period.code)
            continue
        with transaction.atomic():
            _quarter(plan, period, people, profiles, report)
        report.quarters.append(period.code)
    with transaction.atomic():
        report.brought_forward = _bring_forward(plan, people, profiles, today)
    return report


def _quarter(plan: Plan, period: Period, people: _People, profiles: dict[int, str], report: HistoryReport) -> None:
    due = period.end + DUE_AFTER_END
    round_, _created = at_moment(demo_moment(period.end + timedelta(days=1), 9), lambda: services.round_open(
        actor=people.supervisor, plan=plan, period=period.code, due_date=due, illustrative=True))  # fmt: skip
    at_moment(demo_moment(period.end + timedelta(days=1), 9, 5), lambda: services.round_open_run(round_id=round_.pk))
    reports = list(Report.objects.filter(round=round_).select_related("task").order_by("task_sort_key", "unit_order"))
    report.reports += len(reports)
    parts: dict[int, list[Report]] = defaultdict(list)
    task_reports: dict[int, Report] = {}
    for each in reports:
        (parts[each.task_report_id].append(each) if each.kind == Kind.PART else task_reports.__setitem__(each.pk, each))
    claims = _claims(plan, period, due, profiles)
    ready: dict[int, date] = {}  # task report → the day its last part was signed off
    for task_report_id, task_parts in parts.items():
        task = task_reports[task_report_id].task
        carrier = next((p for p in task_parts if p.unit_id == task.lead_unit_id), task_parts[0])
        signed = [_part(part, people, profiles, period, due,
                        claims.get(task.pk) if part.pk == carrier.pk else None) for part in task_parts]  # fmt: skip
        if None not in signed:  # consolidation opens once every part is signed off
            ready[task_report_id] = max(signed)
    sent = []
    for task_report_id, day in ready.items():  # the lead unit consolidates, its head signs off
        task_report = task_reports[task_report_id]
        delay = CONSOLIDATION_DELAY.get(profiles[task_report.unit_id])
        if delay:  # a stalling lead unit lets it wait; past the close it is missing
            rng = _rng("consolidate", period.code, _named("task", task_report.task_id))
            day += timedelta(days=rng.randint(*delay))
            if max(day + timedelta(days=1), due - timedelta(days=1)) >= due + CLOSE_AFTER_DUE:
                continue
        _consolidate(task_report, people, day, due)
        sent.append(task_report_id)
    at_moment(demo_moment(due + CLOSE_AFTER_DUE, 18), lambda: services.round_close(
        actor=people.supervisor, round_id=round_.pk, now=demo_moment(due + CLOSE_AFTER_DUE, 18)))  # fmt: skip
    for task_report_id in sent:  # a supervisor reviews, in the fortnight after the close
        task_report = task_reports[task_report_id]
        profile = profiles[task_report.unit_id]
        rng = _rng("review", round_.period, _named("task", task_report.task_id))
        day = due + CLOSE_AFTER_DUE + timedelta(days=rng.randint(1, 12))
        if rng.random() < SUPERVISOR_RETURN[profile]:
            at_moment(demo_moment(day, 10), lambda tr=task_report: services.report_return(
                actor=people.supervisor, report_id=tr.pk, reason=RETURN_REASON))  # fmt: skip
            day += timedelta(days=2)
            _consolidate(task_report, people, day, due, again=True)
            day += timedelta(days=1)
        day = _return_parts(task_report, parts[task_report_id], people, profiles, period, due, day)
        at_moment(demo_moment(day, 15),
                  lambda tr=task_report: services.report_approve(actor=people.supervisor, report_id=tr.pk))
        report.approved += 1
    _accept_finished(plan, people, profiles, due + CLOSE_AFTER_DUE + timedelta(days=14), report)


def _accept_finished(plan: Plan, people: _People, profiles: dict[int, str], day: date,
                     report: HistoryReport) -> None:  # fmt: skip
    """A supervisor accepts as done (办结) the tasks of diligent lead units whose milestones are all done."""
    open_tasks = PlanTask.objects.filter(plan=plan, children__isnull=True, lead_unit__isnull=False,
                                         milestones__isnull=False).exclude(status=PlanTask.Status.DONE).distinct()
    unfinished = set(Milestone.objects.filter(task__plan=plan).exclude(status=Milestone.Status.DONE)
                     .values_list("task_id", flat=True))  # fmt: skip
    done = {"status": PlanTask.Status.DONE, "completed_date": day}
    for task in open_tasks.exclude(pk__in=unfinished):
        if profiles.get(task.lead_unit_id) not in ("good", "fair"):
            continue
        at_moment(demo_moment(day, 11), lambda t=task: task_update(actor=people.supervisor, task=t, changes=done,
                                                       comment=ACCEPTED))  # fmt: skip
        report.accepted += 1


def _bring_forward(plan: Plan, people: _People, profiles: dict[int, str], today: date) -> str:
    """The current quarter so far: a supervisor brought one milestone forward (调整, with its reason; the original
    date is kept), to a date a few days before ``today``, and it is not done yet — a 催办, so the day's light board
    has a yellow as well (the plan's own dates fall on quarter and year ends, so otherwise a yellow, 1–7 days
    overdue, shows only in a quarter's first week). Returns the milestone's title ("" when none was moved).

    The milestone is the next one not yet due of a task that is up to date (every milestone due is done), has never
    missed a round and is led by a diligent unit, and it weighs at most 15 % of its task, so that the task's gap stays
    within yellow. Both its dates lie after every past round's due date: no published result read either. Once per
    demo: nothing is moved when any milestone of the plan has been moved already."""
    milestones = Milestone.objects.filter(task__plan=plan)
    if milestones.filter(original_due_date__isnull=False).exists():
        return ""
    day = today - BROUGHT_FORWARD_BY
    behind = milestones.filter(due_date__lt=today).exclude(status=Milestone.Status.DONE).values("task_id")
    missed = Report.objects.filter(round__plan=plan, kind=Kind.TASK, missing_at_close=True).values("task_id")
    tasks = (PlanTask.objects.filter(plan=plan, children__isnull=True, lead_unit__isnull=False)
             .exclude(status=PlanTask.Status.DONE).exclude(pk__in=behind).exclude(pk__in=missed)
             .annotate(total=Sum("milestones__weight")).filter(total__gt=0).order_by("sort_key"))  # fmt: skip
    for task in tasks:
        if profiles.get(task.lead_unit_id) not in ("good", "fair"):
            continue
        following = milestones.filter(task=task, due_date__gt=today, status=Milestone.Status.PENDING)
        milestone = following.order_by("due_date", "order", "pk").first()
        if milestone is None or milestone.weight > task.total * Decimal("0.15"):
            continue
        at_moment(demo_moment(day - timedelta(days=14), 10), lambda m=milestone: milestone_update(
            actor=people.supervisor, milestone=m, changes={"due_date": day},
            reason=BROUGHT_FORWARD % {"day": day.isoformat()}))  # fmt: skip
        return milestone.title
    return ""


def _part(part: Report, people: _People, profiles: dict[int, str], period: Period, due: date,
          claims: dict | None) -> date | None:  # fmt: skip
    """One unit's part: submitted on time, late or never; sometimes sent back once inside the unit; signed off.
    Returns the day it was signed off, None when it was not submitted."""
    profile = profiles[part.unit_id]
    _share, on_time, late, in_unit, *_rest = PROFILES[profile]
    rng = _rng("part", period.code, _named("task", part.task_id), _named("unit", part.unit_id))
    draw = rng.random()
    if draw >= on_time + late:
        return None
    day = due - timedelta(days=rng.randint(1, 8)) if draw < on_time else due + timedelta(days=rng.randint(1, 6))
    reporter, head = people.reporters[part.unit_id], people.heads[part.unit_id]
    data = {"narrative": rng.choice(NARRATIVES) + ILLUSTRATIVE,
            "percent_complete": str(min(100, 20 + 10 * rng.randint(0, 8)))}  # fmt: skip
    if claims:
        data.update(claims)
    content = services.report_content(data)
    at_moment(demo_moment(day, 10), lambda: services.report_submit(actor=reporter, report_id=part.pk, content=content))
    if rng.random() < in_unit:
        at_moment(demo_moment(day, 16), lambda: services.report_return(actor=head, report_id=part.pk,
                                                           reason="数据口径需核实（示例）"))  # fmt: skip
        day += timedelta(days=1)
        at_moment(demo_moment(day, 10), lambda: services.report_submit(actor=reporter, report_id=part.pk))
    day += timedelta(days=rng.randint(0, 1))
    at_moment(demo_moment(day, 17), lambda: services.report_sign_off(actor=head, report_id=part.pk))
    return day


def _return_parts(task_report: Report, task_parts: list[Report], people: _People, profiles: dict[int, str],
                  period: Period, due: date, day: date) -> date:
    """In review, a supervisor sends back the parts of units that report poorly (``SUPERVISOR_PART_RETURN``), one at
    a time: the unit submits it again and signs it off the next day, the lead unit consolidates the day after, and
    the report is in review again. Returns the day the supervisor may decide on it."""
    rng = _rng("part-review", period.code, _named("task", task_report.task_id))
    for part in task_parts:
        share = SUPERVISOR_PART_RETURN.get(profiles[part.unit_id])
        if not share or rng.random() >= share:
            continue
        at_moment(demo_moment(day, 10), lambda p=part: services.report_return(
            actor=people.supervisor, report_id=task_report.pk, part_id=p.pk, reason=RETURN_REASON))  # fmt: skip
        day += timedelta(days=1)
        reporter, head = people.reporters[part.unit_id], people.heads[part.unit_id]
        at_moment(demo_moment(day, 10), lambda p=part, r=reporter: services.report_submit(actor=r, report_id=p.pk))
        at_moment(demo_moment(day, 17), lambda p=part, h=head: services.report_sign_off(actor=h, report_id=p.pk))
        day += timedelta(days=1)
        _consolidate(task_report, people, day, due, again=True)
        day += timedelta(days=1)
    return day


def _consolidate(task_report: Report, people: _People, ready: date, due: date, *,
                 again: bool = False) -> None:  # fmt: skip
    """The lead unit submits the consolidated report the day after its last part was ready (by the close), and its
    head signs it off when the plan asks for it."""
    day = max(ready + timedelta(days=1), due - timedelta(days=1)) if not again else ready
    day = min(day, due + CLOSE_AFTER_DUE - timedelta(days=1)) if not again else day
    reporter, head = people.reporters[task_report.unit_id], people.heads[task_report.unit_id]
    submitted = at_moment(demo_moment(day, 11),
                          lambda: services.report_submit(actor=reporter, report_id=task_report.pk))  # fmt: skip
    if submitted.status == Status.LEAD_SIGN_OFF:
        at_moment(demo_moment(day, 17), lambda: services.report_sign_off(actor=head, report_id=task_report.pk))


def _claims(plan: Plan, period: Period, due: date, profiles: dict[int, str]) -> dict[int, dict]:
    """Per task: the milestones its lead unit claims done this quarter (with a completion date on, before or after the
    due date, never after the report) and its indicators' values on their path, as report content."""
    claims: dict[int, dict] = defaultdict(lambda: {"milestone_claims": [], "indicator_values": []})
    leads = dict(PlanTask.objects.filter(plan=plan).values_list("pk", "lead_unit_id"))
    pending = Milestone.objects.filter(task__plan=plan, status=Milestone.Status.PENDING, due_date__lte=period.end)
    for pk, task_id, due_date in pending.values_list("pk", "task_id", "due_date"):
        # The task's pace, held back by a lead unit that does not deliver.
        done_p, (low, high), _pace = task_pace(task_id)
        done_p = min(done_p, PROFILES[profiles.get(leads.get(task_id), "fair")][4])
        rng = _rng("milestone", _named("milestone", pk), period.code)
        if rng.random() >= done_p:
            continue
        # Done this quarter (it was not claimed before), on, before or after its due date.
        done = min(max(due_date + timedelta(days=rng.randint(low, high)), period.start), period.end)
        claims[task_id]["milestone_claims"].append(
            {"milestone": pk, "completed_date": done.isoformat(), "evidence": "验收材料（示例）"})
    for indicator in Indicator.objects.filter(plan=plan, task__isnull=False):
        pace = min(task_pace(indicator.task_id)[2], PROFILES[profiles.get(leads.get(indicator.task_id), "fair")][5])
        value = _indicator_value(indicator, period, pace)
        if value is not None:
            claims[indicator.task_id]["indicator_values"].append(
                {"indicator": indicator.pk, "value": str(value), "note": "示例数据"})
    return {task_id: {key: rows for key, rows in content.items() if rows} for task_id, content in claims.items()}


def _indicator_value(indicator: Indicator, period: Period, pace: Decimal) -> Decimal | None:
    """The indicator's value at the quarter's end on the straight path from its baseline (end of the baseline year)
    to its final target, scaled by the lead unit's pace, with a little noise."""
    start, end = date(indicator.baseline_year, 12, 31), date(indicator.target_year, 12, 31)
    if end <= start:
        return None
    share = Decimal(max(0, min((period.end - start).days, (end - start).days))) / Decimal(max(1, (end - start).days))
    noise = Decimal(_rng("value", _named("indicator", indicator.pk), period.code).randint(-3, 3)) / Decimal(100)
    value = indicator.baseline_value + (indicator.target_value - indicator.baseline_value) * share * (pace + noise)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
