"""Writes of the evaluation app: keyword-only, atomic, audited; each checks the acting user itself."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.models import Evaluation, LightOverride, TaskResult, UnitResult
from evaluation.rules import Colour, RuleSpec, one_level_apart, rank_track, task_light, unit_score
from evaluation.selectors import active_rule_set, task_light_get
from evaluation.snapshot import task_facts, unit_facts
from tasks.audit import audit_record
from tasks.errors import Conflict, NotFound
from tasks.models import PlanTask, ReportingRound
from tasks.periods import parse_period
from tasks.selectors import plan_list
from units.models import Unit
from units.selectors import user_scope

REASON_MAX = 2000


def light_override(*, actor, task_id: int, colour: str, reason: str, today: date) -> LightOverride:
    """A supervisor moves a task's light one level from today's computed light, with a written reason (audited).

    Only supervisors; the task must be readable (404 otherwise); the colour must be one level from the computed one
    along green → yellow → orange → red (blue and grey are facts: 400). Locks the task row so two overrides at once
    are applied one after the other, each against the light it saw."""
    if not user_scope(actor).is_supervisor:
        raise PermissionDenied(_("只有督查专班可以调整灯色。"))
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请写明调整理由。")]
    elif len(reason) > REASON_MAX or "\x00" in reason:
        errors["reason"] = [_("理由不超过 %(max)s 字，且不能含控制字符。") % {"max": REASON_MAX}]
    try:
        wanted = Colour(colour)
    except ValueError:
        errors["colour"] = [_("灯色应为 green、yellow、orange 或 red。")]
        wanted = None
    with transaction.atomic():
        task = PlanTask.objects.select_for_update(of=("self",)).filter(pk=task_id).first()
        current = task_light_get(user=actor, task_id=task_id, as_of=today)  # 404 when out of sight
        computed = current.light.colour
        if wanted is not None and not one_level_apart(computed, wanted):
            errors["colour"] = [
                _("只能在计算灯色（%(computed)s）的基础上调整一级，且蓝、灰不调整。") % {"computed": computed}
            ]
        if errors:
            raise ValidationError(errors)
        override = LightOverride.objects.create(task=task, computed=computed, colour=wanted, reason=reason, by=actor)
        audit_record(
            action="light.override",
            obj=override,
            actor=actor,
            task=task,
            plan_id=task.plan_id,
            before={"colour": str(computed)},
            after={"colour": str(wanted)},
            comment=reason,
        )
    return override


def evaluation_start(*, actor, plan_id: int, period: str, today: date) -> Evaluation:
    """A supervisor starts the 赛马比拼 of a plan for a period whose reporting is over; the draft is computed by a job
    enqueued on commit (202 + progress, like round opening).

    400 for a bad period or one whose rounds are not yet due; 404 for a plan out of sight; 409 while an unpublished
    evaluation of the same period exists (it is returned in the error's place by the API) or when no rule set applies.
    The as-of day is the latest due date of the period's rounds (the period's end when it had none)."""
    if not user_scope(actor).is_supervisor:
        raise PermissionDenied(_("只有督查专班可以发起赛马比拼。"))
    try:
        parsed = parse_period(period)
    except ValueError as error:
        raise ValidationError({"period": [str(error)]}) from None
    plan = plan_list(user=actor).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound
    due = ReportingRound.objects.filter(
        plan=plan, period_start__gte=parsed.start, period_start__lte=parsed.end
    ).aggregate(last=Max("due_date"))["last"]
    as_of = due or parsed.end
    if as_of >= today:
        raise ValidationError({"period": [_("本期报送截止于 %(day)s，截止后才能评比。") % {"day": as_of.isoformat()}]})
    rule_set = active_rule_set(plan_id=plan.pk, period=parsed.code)
    if rule_set is None:
        raise Conflict(_("没有适用于该期次的评价规则。"))
    with transaction.atomic():
        # One evaluation in progress per plan and period: the plan row is the lock two starts queue on.
        type(plan).objects.select_for_update(of=("self",)).filter(pk=plan.pk).first()
        existing = Evaluation.objects.filter(plan=plan, period=parsed.code)
        if existing.exclude(status=Evaluation.Status.PUBLISHED).exists():
            raise Conflict(_("该期次已有一轮未发布的赛马比拼。"))
        version = (existing.aggregate(last=Max("version"))["last"] or 0) + 1
        evaluation = Evaluation.objects.create(
            plan=plan,
            period=parsed.code,
            period_start=parsed.start,
            period_end=parsed.end,
            version=version,
            as_of=as_of,
            rule_set=rule_set,
            spec=rule_set.rules.to_data(),
            started_by=actor,
        )
        audit_record(action="evaluation.start", obj=evaluation, actor=actor, plan=plan,
                     after={"period": parsed.code, "version": version, "rule_set": rule_set.pk})  # fmt: skip
        transaction.on_commit(lambda: _enqueue_compute(evaluation.pk))
    return evaluation


def _enqueue_compute(evaluation_id: int) -> None:
    from evaluation.jobs import evaluation_compute_job  # Celery's late import: the job calls this module back

    evaluation_compute_job.delay(evaluation_id)


def evaluation_compute(*, evaluation_id: int) -> Evaluation:
    """Compute (or recompute) the draft: every task's light and every unit's score, rank within its track and
    colour, against the previous published period of the same plan. Idempotent: the results are replaced whole, in
    one transaction, under the evaluation's row lock; a published evaluation is never recomputed (409)."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update(of=("self",)).filter(pk=evaluation_id).first()
        if evaluation is None:
            raise NotFound
        if evaluation.status == Evaluation.Status.PUBLISHED:
            raise Conflict(_("已发布的结果不再重算。"))
        spec = RuleSpec.from_data(evaluation.spec)
        as_of = evaluation.as_of
        task_ids = list(PlanTask.objects.filter(plan_id=evaluation.plan_id).values_list("pk", flat=True))
        facts = task_facts(task_ids=task_ids, as_of=as_of)
        lights = {task_id: task_light(facts[task_id], as_of, spec) for task_id in task_ids}
        units = unit_facts(plan_id=evaluation.plan_id, period_start=evaluation.period_start,
                           period_end=evaluation.period_end, as_of=as_of, lights=lights, spec=spec)  # fmt: skip
        directory = {unit.pk: unit for unit in Unit.objects.filter(pk__in=list(units))}
        scores = {unit_id: unit_score(unit_facts_, spec) for unit_id, unit_facts_ in units.items()}
        previous = _previous_standings(evaluation)
        by_track: dict[int | None, list] = defaultdict(list)
        for unit_id, score in scores.items():
            by_track[directory[unit_id].track_id].append(score)
        standings = {}
        for track_scores in by_track.values():
            for standing in rank_track(track_scores, spec, previous):
                standings[int(standing.unit)] = standing
        TaskResult.objects.filter(evaluation=evaluation).delete()
        UnitResult.objects.filter(evaluation=evaluation).delete()
        TaskResult.objects.bulk_create(
            TaskResult(
                evaluation=evaluation,
                task_id=task_id,
                colour=light.colour,
                expected=light.expected,
                actual=light.actual,
                overdue_days=light.overdue_days,
                missed_rounds=light.missed_rounds,
                reasons=[{"code": reason.code, "values": _jsonable(reason.values)} for reason in light.reasons],
            )
            for task_id, light in lights.items()
        )
        UnitResult.objects.bulk_create(
            UnitResult(
                evaluation=evaluation,
                unit_id=unit_id,
                track_id=directory[unit_id].track_id,
                score=standing.score,
                rank=standing.rank,
                colour=standing.colour,
                veto=scores[unit_id].veto,
                enough_data=scores[unit_id].enough_data,
                score_change=standing.score_change,
                rank_change=standing.rank_change,
                breakdown=_breakdown(scores[unit_id], standing, units[unit_id]),
            )
            for unit_id, standing in standings.items()
        )
        evaluation.units_total = len(standings)
        evaluation.computed_at = timezone.now()
        if evaluation.status == Evaluation.Status.COMPUTING:
            evaluation.status = Evaluation.Status.ADJUSTING
        evaluation.save(update_fields=["units_total", "computed_at", "status"])
    return evaluation


def _previous_standings(evaluation: Evaluation) -> dict[str, tuple[Decimal, int | None]]:
    """Score and rank of each unit (by id, as the rules key units) in the latest published earlier period."""
    previous = (
        Evaluation.objects.filter(
            plan_id=evaluation.plan_id, status=Evaluation.Status.PUBLISHED, period_start__lt=evaluation.period_start
        )
        .order_by("-period_start", "-version")
        .first()
    )
    if previous is None:
        return {}
    return {
        str(unit_id): (score, rank)
        for unit_id, score, rank in previous.unit_results.values_list("unit_id", "score", "rank")
    }


def _jsonable(values: dict) -> dict:
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in values.items()}


def _breakdown(score, standing, facts) -> dict:
    """Everything behind a unit's score, as data: components, weights used, process rates and counts, the tasks
    and indicators counted, bonus and deductions, and the reasons (codes and values, worded when shown)."""

    def number(value):
        return None if value is None else str(value)

    return {
        "components": {name: number(value) for name, value in score.components.items()},
        "weights": {name: number(value) for name, value in score.weights.items()},
        "process": {name: number(value) for name, value in score.process.items()},
        "counts": {
            "reports_due": facts.process.parts_due,
            "on_time": facts.process.parts_on_time,
            "reviewed": facts.process.reviewed,
            "first_pass": facts.process.first_pass,
            "claims": facts.process.claims,
            "claims_with_evidence": facts.process.claims_with_evidence,
        },
        "tasks": [
            {
                "code": task.code,
                "role": task.role,
                "importance": task.importance,
                "expected": number(task.expected),
                "actual": number(task.actual),
                "light": str(task.light),
            }
            for task in facts.tasks
        ],
        "indicators": [
            {
                "code": share.code,
                "baseline": number(share.baseline),
                "target": number(share.interim_target),
                "actual": number(share.actual),
                "weight": number(share.weight),
            }
            for share in facts.indicators
        ],
        "bonus": number(score.bonus),
        "deductions": number(score.deductions),
        "scored_tasks": score.scored_tasks,
        "reasons": [
            {"code": reason.code, "values": _jsonable(reason.values)} for reason in (*score.notes, *standing.reasons)
        ],
    }
