"""The demo's published evaluations (示例): a 赛马比拼 round for every past quarter of the demo's history, carried
through the real evaluation services on its own dates (``time_machine``, as the history's reports are), so the
map and the rankings have a past to compare with.

Each quarter: a supervisor starts the round two weeks after its reports were closed, the draft is computed, the
best unit of the quarter gets a bonus item and the three with the most late or missing reports a deduction for
each (with evidence), the appeal window opens,
one unit appeals in every fourth quarter (answered, not upheld), and after the window the draft goes to a leader,
who approves it, and a supervisor publishes it. A quarter that has an evaluation already is skipped; a quarter is
one transaction. Only the demo calls this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction

from evaluation import services
from evaluation.models import Appeal, Evaluation, UnitResult
from tasks.demo import SHANGHAI, at_moment, demo_moment
from tasks.models import Plan, ReportingRound
from tasks.workdays import add_working_days
from units.models import Membership


@dataclass
class EvaluationsReport:
    published: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"evaluations: {len(self.published)} published, {len(self.skipped)} already there"


def evaluations_load(*, plan: Plan, today: date) -> EvaluationsReport:
    """Publish an evaluation for every closed, illustrative round of ``plan`` whose period has none yet, oldest
    first (each compares itself with the one before), as long as its publication falls before ``today``."""
    report = EvaluationsReport()
    supervisor, leader = User.objects.get(username="supervisor"), User.objects.get(username="leader")
    done = set(Evaluation.objects.filter(plan=plan).values_list("period", flat=True))
    rounds = ReportingRound.objects.filter(plan=plan, status=ReportingRound.Status.CLOSED, illustrative=True)
    for n, round_ in enumerate(rounds.order_by("period_start")):
        if round_.period in done:
            report.skipped.append(round_.period)
            continue
        start = round_.closed_at.astimezone(SHANGHAI).date() + timedelta(days=14)
        if add_working_days(start, 12) >= today:
            break
        with transaction.atomic():
            _quarter(plan, round_, start, supervisor, leader, appeal=n % 4 == 1)
        report.published.append(round_.period)
    return report


def _quarter(plan: Plan, round_: ReportingRound, start: date, supervisor: User, leader: User, *, appeal: bool) -> None:
    def at(day: date, hour: int, action):
        return at_moment(demo_moment(day, hour), action)

    evaluation = at(start, 9, lambda: services.evaluation_start(actor=supervisor, plan_id=plan.pk,
                                                                period=round_.period, today=start))  # fmt: skip
    at(start, 9, lambda: services.evaluation_compute(evaluation_id=evaluation.pk))
    ranked = list(UnitResult.objects.filter(evaluation=evaluation, rank__isnull=False).order_by("-score", "unit_id"))
    if ranked:
        best = ranked[0]
        at(start, 10, lambda: services.evaluation_adjust(
            actor=supervisor, evaluation_id=evaluation.pk, unit_id=best.unit_id, code="model_case", count=1,
            evidence="市政府办公厅工作通报（示例）", reason="经验做法在全市推广（示例）"))  # fmt: skip
    # The three units with the most reports late or missing this quarter lose 0.2 points for each (迟报).
    late = sorted(((r.breakdown["counts"]["reports_due"] - r.breakdown["counts"]["on_time"], r.unit_id)
                   for r in ranked), reverse=True)[:3]  # fmt: skip
    for count, unit_id in late:
        if count < 2:
            continue
        at(start, 11, lambda u=unit_id, n=count: services.evaluation_adjust(
            actor=supervisor, evaluation_id=evaluation.pk, unit_id=u, code="late_report", count=min(n, 100),
            evidence=f"报送台账：本季度迟报或未报 {n} 份（示例）", reason="按规则扣分（示例）"))  # fmt: skip
    opened = at(start + timedelta(days=1), 9, lambda: services.evaluation_open_appeals(
        actor=supervisor, evaluation_id=evaluation.pk, version=None, today=start + timedelta(days=1)))  # fmt: skip
    if appeal and ranked:
        unit_id = ranked[-1].unit_id
        reporter = User.objects.filter(memberships__unit_id=unit_id,
                                       memberships__role=Membership.Role.REPORTER).order_by("pk").first()  # fmt: skip
        if reporter is not None:
            filed = at(start + timedelta(days=2), 10, lambda: services.appeal_file(
                actor=reporter, evaluation_id=evaluation.pk, unit_id=unit_id, category=Appeal.Category.DATA,
                reason="部分报告因系统原因迟报，申请核减（示例）", today=start + timedelta(days=2)))  # fmt: skip
            reply = "经核实，迟报属实，维持原结果（示例）"
            at(start + timedelta(days=3), 15, lambda: services.appeal_resolve(
                actor=supervisor, appeal_id=filed.pk, upheld=False, reply=reply))  # fmt: skip
    after = opened.appeal_deadline + timedelta(days=1)
    at(after, 9, lambda: services.evaluation_submit(actor=supervisor, evaluation_id=evaluation.pk, version=None,
                                                    today=after))  # fmt: skip
    at(after + timedelta(days=1), 10, lambda: services.evaluation_approve(
        actor=leader, evaluation_id=evaluation.pk, version=None))  # fmt: skip
    at(after + timedelta(days=1), 16, lambda: services.evaluation_publish(
        actor=supervisor, evaluation_id=evaluation.pk, version=None))  # fmt: skip
