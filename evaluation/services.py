"""Writes of the evaluation app: keyword-only, atomic, audited; each checks the acting user itself."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import STATUS

from evaluation.flows import EvaluationFlow
from evaluation.models import (
    Adjustment,
    Appeal,
    Evaluation,
    LightOverride,
    RubricScore,
    TaskResult,
    UnitResult,
    plain,
)
from evaluation.rules import Colour, RuleSpec, one_level_apart, rank_track, unit_score
from evaluation.rules.scoring import ItemEntry
from evaluation.selectors import active_rule_set, published_before, task_light_get
from evaluation.snapshot import collector_paused, plan_judging
from tasks.audit import audit_record
from tasks.errors import Conflict, NotFound
from tasks.models import PlanTask, ReportingRound
from tasks.periods import parse_period
from tasks.queueing import publish
from tasks.selectors import plan_list
from tasks.workdays import add_working_days
from units.models import Unit
from units.selectors import user_scope

logger = logging.getLogger(__name__)

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
    rounds = ReportingRound.objects.filter(plan=plan, period_start__gte=parsed.start, period_start__lte=parsed.end)
    due = rounds.aggregate(last=Max("due_date"))["last"]
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
            illustrative=rounds.filter(illustrative=True).exists(),
            compute_queued_at=timezone.now(),
        )
        evaluation.process = EvaluationFlow.start.run(evaluation=evaluation)
        evaluation.save(update_fields=["process"])
        audit_record(action="evaluation.start", obj=evaluation, actor=actor, plan=plan,
                     after={"period": parsed.code, "version": version, "rule_set": rule_set.pk})  # fmt: skip
        transaction.on_commit(lambda: _enqueue_compute(evaluation.pk))
    return evaluation


def _enqueue_compute(evaluation_id: int) -> None:
    """Publish the evaluation's compute job. An unreachable broker is logged, not raised (the evaluation is saved:
    the request succeeds); it stays ``computing`` and ``evaluation_compute_resume_stalled`` publishes it again."""
    from evaluation.jobs import evaluation_compute_job  # Celery's late import: the job calls this module back

    publish(evaluation_compute_job, evaluation_id, about=f"evaluation {evaluation_id}",
            recovery="the compute sweep will queue it again")


def evaluation_compute_resume_stalled(*, now: datetime, stalled_for: timedelta) -> list[int]:
    """Publish again the compute job of every evaluation still ``computing`` whose job was queued more than
    ``stalled_for`` ago (it was lost: the broker was down at commit, or the worker died). Returns their ids. Called
    by the beat (``evaluation.jobs.evaluation_compute_sweep_job``); idempotent. Each is claimed by a conditional
    UPDATE of ``compute_queued_at`` on the value just read, so two sweeps at once publish it once; publishing
    happens after the claim (no network inside a transaction)."""
    stalled = (Evaluation.objects.filter(status=Evaluation.Status.COMPUTING, compute_queued_at__lt=now - stalled_for)
               .order_by("compute_queued_at").values_list("pk", "compute_queued_at"))
    resumed = []
    for evaluation_id, seen in list(stalled):
        if Evaluation.objects.filter(pk=evaluation_id, status=Evaluation.Status.COMPUTING,
                                     compute_queued_at=seen).update(compute_queued_at=now):
            logger.info("evaluation %s: computing since %s, queued again", evaluation_id, seen.isoformat())
            _enqueue_compute(evaluation_id)
            resumed.append(evaluation_id)
    return resumed


def evaluation_compute(*, evaluation_id: int) -> Evaluation:
    """Compute (or recompute) the draft: every task's light and every unit's score, rank within its track and
    colour, against the previous published period of the same plan. Idempotent: the results are replaced whole, in
    one transaction, under the evaluation's row lock; a published evaluation is never recomputed (409)."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update(of=("self",)).filter(pk=evaluation_id).first()
        if evaluation is None:
            raise NotFound
        if evaluation.status in (Evaluation.Status.APPROVAL, Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED):
            raise Conflict(_("已送审定或已发布的结果不再重算。"))
        spec = RuleSpec.from_data(evaluation.spec)
        as_of = evaluation.as_of
        with collector_paused():  # the scores and standings too: their objects are acyclic as well
            lights, units = plan_judging(plan_id=evaluation.plan_id, period_start=evaluation.period_start,
                                         period_end=evaluation.period_end, as_of=as_of, spec=spec)  # fmt: skip
            items: dict[int, list[ItemEntry]] = defaultdict(list)
            given: dict[int, list[dict]] = defaultdict(list)
            for adjustment in evaluation.adjustments.select_related("by").order_by("at", "pk"):
                items[adjustment.unit_id].append(ItemEntry(adjustment.code, adjustment.count, adjustment.evidence))
                item = spec.item(adjustment.code)
                given[adjustment.unit_id].append(
                    {"code": adjustment.code, "label": item.label if item else adjustment.code,
                     "count": adjustment.count, "evidence": adjustment.evidence, "reason": adjustment.reason,
                     "by": adjustment.by.username}
                )  # fmt: skip
            ratings: dict[int, list[tuple[int, ...]]] = defaultdict(list)
            for unit_id, scores in evaluation.rubric_scores.order_by("rater_id").values_list("unit_id", "scores"):
                ratings[unit_id].append(tuple(scores))
            units = {
                unit_id: replace(each, items=tuple(items[unit_id]), rubric=tuple(ratings[unit_id]))
                for unit_id, each in units.items()
            }
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
            TaskResult(evaluation=evaluation, task_id=task_id, **TaskResult.of(light))
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
                breakdown=_breakdown(scores[unit_id], standing, units[unit_id], given[unit_id]),
            )
            for unit_id, standing in standings.items()
        )
        evaluation.units_total = len(standings)
        evaluation.computed_at = timezone.now()
        if evaluation.status == Evaluation.Status.COMPUTING:
            evaluation.status = Evaluation.Status.ADJUSTING
            _complete_step(evaluation, Evaluation.Status.COMPUTING, actor=None)
        evaluation.save(update_fields=["units_total", "computed_at", "status"])
    return evaluation


def _previous_standings(evaluation: Evaluation) -> dict[str, tuple[Decimal, int | None]]:
    """Score and rank of each unit (by id, as the rules key units) in the latest published earlier period."""
    previous = published_before(evaluation).first()
    if previous is None:
        return {}
    return {
        str(unit_id): (score, rank)
        for unit_id, score, rank in previous.unit_results.values_list("unit_id", "score", "rank")
    }


def _breakdown(score, standing, facts, given: list[dict]) -> dict:
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
            "duban_due": facts.process.duban_due,
            "duban_on_time": facts.process.duban_on_time,
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
        "items": given,
        "raters": len(facts.rubric),
        "scored_tasks": score.scored_tasks,
        "reasons": [
            {"code": reason.code, "values": plain(reason.values)} for reason in (*score.notes, *standing.reasons)
        ],
    }


# -- the steps after the draft ----------------------------------------------------------------------------------
# Each step moves the evaluation by a conditional UPDATE on its status (and version), under the evaluation's row lock:
# a second click, or two people at once, finds the status moved and gets a 409. Lock order: the evaluation row, then
# an appeal row.

TEXT_MAX = 4000


def _text(errors: dict, field: str, value: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = [_("必填。")]
    elif len(value) > TEXT_MAX or "\x00" in value:
        errors[field] = [_("不超过 %(max)s 字，且不能含控制字符。") % {"max": TEXT_MAX}]
    return value


def _locked(evaluation_id: int, *statuses: str) -> Evaluation:
    evaluation = Evaluation.objects.select_for_update(of=("self",)).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise NotFound
    if evaluation.status not in statuses:
        raise Conflict(
            _("这一轮现在是“%(status)s”，不能进行此操作，请刷新。") % {"status": evaluation.get_status_display()}
        )
    return evaluation


def _supervisor(actor) -> None:
    if not user_scope(actor).is_supervisor:
        raise PermissionDenied(_("只有督查专班可以进行此操作。"))


def _scored_unit(evaluation: Evaluation, unit_id, errors: dict) -> int | None:
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        errors["unit"] = [_("请选择单位。")]
        return None
    if not evaluation.unit_results.filter(unit_id=unit_id).exists():
        errors["unit"] = [_("该单位不在本轮评比之内。")]
        return None
    return unit_id


def evaluation_adjust(*, actor, evaluation_id: int, unit_id: int, code: str, count: int, evidence: str,
                      reason: str) -> Adjustment:  # fmt: skip
    """A supervisor gives a unit a bonus or deduction item of the rule spec (with evidence and reason) while the
    draft is being adjusted; the draft is recomputed at once."""
    _supervisor(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.ADJUSTING)
        errors: dict[str, list[str]] = {}
        unit_id = _scored_unit(evaluation, unit_id, errors)
        if RuleSpec.from_data(evaluation.spec).item(code) is None:
            errors["code"] = [_("规则中没有这一加减分项。")]
        if not isinstance(count, int) or not 1 <= count <= 100:
            errors["count"] = [_("次数为 1 至 100。")]
        evidence = _text(errors, "evidence", evidence)
        reason = _text(errors, "reason", reason)
        if errors:
            raise ValidationError(errors)
        adjustment = Adjustment.objects.create(evaluation=evaluation, unit_id=unit_id, code=code, count=count,
                                               evidence=evidence, reason=reason, by=actor)  # fmt: skip
        audit_record(action="evaluation.adjust", obj=adjustment, actor=actor, unit_id=unit_id,
                     plan_id=evaluation.plan_id, after={"code": code, "count": count}, comment=reason)  # fmt: skip
    evaluation_compute(evaluation_id=evaluation_id)
    return adjustment


def evaluation_rate(*, actor, evaluation_id: int, unit_id: int, scores: list, comment: str) -> RubricScore:
    """A supervisor's rubric scores for a unit (F4: one score per criterion on the spec's scale, and a comment); a
    second rating by the same supervisor replaces the first. F4 counts once enough raters have rated."""
    _supervisor(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.ADJUSTING)
        errors: dict[str, list[str]] = {}
        unit_id = _scored_unit(evaluation, unit_id, errors)
        low, high = RuleSpec.from_data(evaluation.spec).rubric_scale
        valid = isinstance(scores, list) and 1 <= len(scores) <= 20
        if not valid or not all(isinstance(s, int) and not isinstance(s, bool) and low <= s <= high for s in scores):
            errors["scores"] = [_("每项评分为 %(low)s 至 %(high)s 的整数，1 至 20 项。") % {"low": low, "high": high}]
        comment = _text(errors, "comment", comment)
        if errors:
            raise ValidationError(errors)
        rating, _created = RubricScore.objects.update_or_create(
            evaluation=evaluation, unit_id=unit_id, rater=actor, defaults={"scores": scores, "comment": comment}
        )
        audit_record(action="evaluation.rate", obj=rating, actor=actor, unit_id=unit_id, plan_id=evaluation.plan_id,
                     after={"scores": scores}, comment=comment)  # fmt: skip
    evaluation_compute(evaluation_id=evaluation_id)
    return rating


def evaluation_open_appeals(*, actor, evaluation_id: int, version: int | None, today: date) -> Evaluation:
    """A supervisor shows the draft to the units: each unit now reads its own breakdown and may appeal until the
    deadline, the spec's number of working days from today (Chinese calendar, 调休 included)."""
    _supervisor(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.ADJUSTING)
        _check_version(evaluation, version)
        days = RuleSpec.from_data(evaluation.spec).appeal_working_days
        evaluation.appeal_deadline = add_working_days(today, days)
        _move(evaluation, Evaluation.Status.APPEALS, actor, "evaluation.open_appeals",
              after={"appeal_deadline": evaluation.appeal_deadline.isoformat()})  # fmt: skip
    return evaluation


def appeal_file(*, actor, evaluation_id: int, unit_id: int, category: str, reason: str, today: date) -> Appeal:
    """A unit's reporter or head appeals against the unit's own draft result, within the window."""
    scope = user_scope(actor)
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update(of=("self",)).filter(pk=evaluation_id).first()
        if evaluation is None:
            raise NotFound
        if evaluation.status != Evaluation.Status.APPEALS:
            raise Conflict(_("现在不在申诉期内。"))
        try:
            unit_id = int(unit_id)
        except (TypeError, ValueError):
            raise ValidationError({"unit": [_("请选择单位。")]}) from None
        if not (scope.has_role(unit_id, "reporter") or scope.has_role(unit_id, "head")):
            raise PermissionDenied(_("只能为本单位申诉。"))
        if evaluation.appeal_deadline is not None and today > evaluation.appeal_deadline:
            raise Conflict(_("申诉期已于 %(day)s 结束。") % {"day": evaluation.appeal_deadline.isoformat()})
        errors: dict[str, list[str]] = {}
        if category not in Appeal.Category.values:
            errors["category"] = [_("请选择申诉类别。")]
        reason = _text(errors, "reason", reason)
        if not evaluation.unit_results.filter(unit_id=unit_id).exists():
            errors["unit"] = [_("该单位不在本轮评比之内。")]
        if errors:
            raise ValidationError(errors)
        appeal = Appeal.objects.create(evaluation=evaluation, unit_id=unit_id, category=category, reason=reason,
                                       by=actor)  # fmt: skip
        audit_record(action="evaluation.appeal", obj=appeal, actor=actor, unit_id=unit_id,
                     plan_id=evaluation.plan_id, after={"category": category}, comment=reason)  # fmt: skip
    return appeal


def appeal_resolve(*, actor, appeal_id: int, upheld: bool, reply: str) -> Appeal:
    """A supervisor replies to an appeal in writing; an upheld appeal recomputes the draft (the supervisor has
    corrected what it was about: an adjustment, a rating, or the facts upstream)."""
    _supervisor(actor)
    with transaction.atomic():
        appeal = Appeal.objects.filter(pk=appeal_id).first()
        if appeal is None:
            raise NotFound
        evaluation = _locked(appeal.evaluation_id, Evaluation.Status.APPEALS)
        appeal = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal_id)
        if appeal.upheld is not None:
            raise Conflict(_("这条申诉已经答复过了。"))
        errors: dict[str, list[str]] = {}
        if not isinstance(upheld, bool):
            errors["upheld"] = [_("请选择支持或不支持。")]
        reply = _text(errors, "reply", reply)
        if errors:
            raise ValidationError(errors)
        appeal.upheld, appeal.reply, appeal.resolved_by = upheld, reply, actor
        appeal.resolved_at, appeal.version = timezone.now(), appeal.version + 1
        appeal.save(update_fields=["upheld", "reply", "resolved_by", "resolved_at", "version"])
        audit_record(action="evaluation.appeal_resolve", obj=appeal, actor=actor, unit_id=appeal.unit_id,
                     plan_id=evaluation.plan_id, after={"upheld": upheld}, comment=reply)  # fmt: skip
    if upheld:
        evaluation_compute(evaluation_id=appeal.evaluation_id)  # keeps the appeal window's status
    return appeal


def evaluation_submit(*, actor, evaluation_id: int, version: int | None, today: date) -> Evaluation:
    """A supervisor sends the draft to leadership once the appeal window is over and every appeal is answered."""
    _supervisor(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.APPEALS)
        _check_version(evaluation, version)
        if evaluation.appeal_deadline is not None and today <= evaluation.appeal_deadline:
            raise Conflict(_("申诉期到 %(day)s 才结束。") % {"day": evaluation.appeal_deadline.isoformat()})
        if evaluation.appeals.filter(upheld__isnull=True).exists():
            raise Conflict(_("还有申诉没有答复。"))
        _move(evaluation, Evaluation.Status.APPROVAL, actor, "evaluation.submit")
    return evaluation


def evaluation_approve(*, actor, evaluation_id: int, version: int | None) -> Evaluation:
    """A leader approves the draft for publication."""
    if not user_scope(actor).is_leader:
        raise PermissionDenied(_("只有领导可以审定。"))
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.APPROVAL)
        _check_version(evaluation, version)
        evaluation.approved_by, evaluation.approved_at = actor, timezone.now()
        _move(evaluation, Evaluation.Status.APPROVED, actor, "evaluation.approve")
    return evaluation


def evaluation_return(*, actor, evaluation_id: int, version: int | None, reason: str) -> Evaluation:
    """A leader returns the draft to the supervisors with a reason; it goes back to adjusting."""
    if not user_scope(actor).is_leader:
        raise PermissionDenied(_("只有领导可以退回。"))
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.APPROVAL)
        _check_version(evaluation, version)
        errors: dict[str, list[str]] = {}
        reason = _text(errors, "reason", reason)
        if errors:
            raise ValidationError(errors)
        evaluation.return_reason = reason
        _move(evaluation, Evaluation.Status.ADJUSTING, actor, "evaluation.return", comment=reason)
    return evaluation


def evaluation_publish(*, actor, evaluation_id: int, version: int | None) -> Evaluation:
    """A supervisor publishes the approved result (晾晒): frozen from now on, readable by every signed-in user.
    Two publishes at once: one wins, the other finds it published (409)."""
    _supervisor(actor)
    with transaction.atomic():
        evaluation = _locked(evaluation_id, Evaluation.Status.APPROVED)
        _check_version(evaluation, version)
        evaluation.published_at = timezone.now()
        _move(evaluation, Evaluation.Status.PUBLISHED, actor, "evaluation.publish")
    return evaluation


def _check_version(evaluation: Evaluation, version: int | None) -> None:
    if version is not None and version != evaluation.step_version:
        raise Conflict(_("这一轮已被他人处理（当前版本 %(current)s），请刷新。") % {"current": evaluation.step_version})


def _move(evaluation: Evaluation, status: str, actor, action: str, *, after: dict | None = None,
          comment: str = "") -> None:  # fmt: skip
    """Move the evaluation to ``status`` and complete the flow's step of the status it leaves (the caller holds the
    evaluation's row lock), audited."""
    before = evaluation.status
    evaluation.status = status
    evaluation.step_version += 1
    _complete_step(evaluation, before, actor=actor)
    evaluation.save()
    audit_record(action=action, obj=evaluation, actor=actor, plan_id=evaluation.plan_id, before={"status": before},
                 after={"status": status, **(after or {})}, comment=comment)  # fmt: skip


#: The flow's step the evaluation waits on in each status (``evaluation.flows``); published: none (ended).
STEP_OF_STATUS = {
    Evaluation.Status.COMPUTING: "compute",
    Evaluation.Status.ADJUSTING: "adjust",
    Evaluation.Status.APPEALS: "appeals",
    Evaluation.Status.APPROVAL: "approval",
    Evaluation.Status.APPROVED: "publish",
}
ACTIVE_FLOW_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _complete_step(evaluation: Evaluation, left: str, *, actor) -> None:
    """Complete the process's open task for the status the evaluation ``left``, assigned to the actor (none for the
    compute job); the evaluation's new status travels on the process object for the ``decide`` gateway.

    No process lock: the caller holds the evaluation's row lock, which every path to the process takes first.
    Evaluations started before the flow existed have no process: nothing to complete."""
    if evaluation.process_id is None:
        return
    step = STEP_OF_STATUS[left]
    task = (
        FlowTask.objects.select_related("process")
        .filter(process_id=evaluation.process_id, status__in=ACTIVE_FLOW_STATUSES)
        .order_by("-pk")
        .first()
    )
    if task is None or task.flow_task.name != step:
        raise Conflict(_("流程步骤与本轮状态不符，请刷新。"))
    activation = task.flow_task.activation_class(task)
    activation.process.evaluation_status = evaluation.status
    try:
        if step == "compute":
            activation.run(None)
        else:
            task.owner = actor
            if task.status == STATUS.NEW:
                task.status = STATUS.ASSIGNED
            if task.status == STATUS.ASSIGNED:
                activation.start(None)
        activation.execute()
    except (TransitionNotAllowed, FlowLockFailed) as exc:
        raise Conflict(_("流程正忙或状态已变化，请稍后重试。")) from exc
