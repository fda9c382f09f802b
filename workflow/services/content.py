"""A report's content: saving what a user typed, starting a report from earlier work, applying an approval.

Helpers of the services in ``workflow.services.reports`` and ``.rounds``: they run inside the caller's
transaction, under the row lock the caller holds, and check only domain rules (input was parsed at the edge,
``workflow.inputs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.audit import audit_record, jsonable
from tasks.lifecycle import Kind, Status
from tasks.models import (
    Indicator,
    IndicatorClaim,
    IndicatorValue,
    Milestone,
    MilestoneClaim,
    Plan,
    PlanTask,
    Report,
    ReportAttachment,
    ReportRevision,
)
from workflow.inputs import ReportContent


def save_content(report: Report, content: ReportContent, *, actor: AbstractBaseUser) -> None:
    """Write ``content`` into the report (each list given replaces the report's list), bump the version and keep
    a revision with the whole content. Field errors (an indicator or milestone not of this task, a completion in
    the future) are raised before anything is written."""
    errors: dict[str, list[str]] = {}
    indicator_ids: set[int] = set()
    if content.indicator_values:
        indicator_ids = set(Indicator.objects.filter(task_id=report.task_id).values_list("pk", flat=True))
    milestone_ids: set[int] = set()
    if content.milestone_claims:
        milestone_ids = set(Milestone.objects.filter(task_id=report.task_id).values_list("pk", flat=True))
    new_values: list[IndicatorClaim] = []
    for n, row in enumerate(content.indicator_values or ()):
        if row.indicator not in indicator_ids:
            errors.setdefault(f"indicator_values[{n}]", []).append(
                _("指标不属于此任务：%(value)s") % {"value": row.indicator})
        elif row.value is not None:
            new_values.append(IndicatorClaim(report=report, indicator_id=row.indicator, value=row.value,
                                             note=row.note))
    new_claims: list[MilestoneClaim] = []
    today = timezone.localdate()
    earliest = earliest_completion(report) if content.milestone_claims else today
    for n, claim in enumerate(content.milestone_claims or ()):
        field = f"milestone_claims[{n}]"
        if claim.milestone not in milestone_ids:
            errors.setdefault(field, []).append(_("节点不属于此任务：%(value)s") % {"value": claim.milestone})
        elif claim.completed_date > today:
            errors.setdefault(f"{field}.completed_date", []).append(_("完成日期不能晚于今天。"))
        elif claim.completed_date < earliest:
            errors.setdefault(f"{field}.completed_date", []).append(
                _("完成日期应在 %(start)s 至 %(end)s 之间（方案开始前一年起，至今天）。")
                % {"start": earliest.isoformat(), "end": today.isoformat()})
        else:
            new_claims.append(MilestoneClaim(report=report, milestone_id=claim.milestone,
                                             completed_date=claim.completed_date, evidence=claim.evidence))
    if errors:
        raise ValidationError(errors)
    if content.narrative is not None:
        report.narrative = content.narrative
    if content.percent_given:
        report.percent_complete = content.percent_complete
    if content.indicator_values is not None:
        report.indicator_claims.all().delete()
        IndicatorClaim.objects.bulk_create(new_values)
    if content.milestone_claims is not None:
        # A report never saved (version 1) has no milestone claims: they come only from saves and consolidation,
        # and both raise the version.
        if report.version > 1:
            report.milestone_claims.all().delete()
        MilestoneClaim.objects.bulk_create(new_claims)
    report.version += 1
    report.save(update_fields=["narrative", "percent_complete", "version", "updated_at"])
    ReportRevision.objects.create(report_id=report.pk, version=report.version, action="update",
                                  data=saved(report, content, new_values, new_claims), by=actor)


def earliest_completion(report: Report) -> date:
    """The earliest completion date a claim may give: a year before the plan began (work prepared before the plan
    may count), so a typo such as 0001-01-01 is refused rather than stored."""
    start = Plan.objects.filter(rounds__pk=report.round_id).values_list("start_date", flat=True).first()
    start = start or timezone.localdate()
    return start.replace(year=start.year - 1, day=min(start.day, 28) if start.month == 2 else start.day)


def check_submittable(report: Report, content: ReportContent | None = None) -> None:
    """Refuse to submit what a reviewer could not judge: a report (a part, or the consolidated report) needs a
    narrative and a percent complete, and each milestone it claims as completed needs evidence, as text or a file
    attached to that milestone (for the consolidated report, on it or on one of its parts). A claim always has a
    completion date (the input requires one). Draft saves are not checked.

    Raises ``ValidationError`` naming each missing field; a claim's path is its index in ``content``'s list when
    the submit carried one, otherwise in the report's claims as the API lists them (by id).
    """
    errors: dict[str, list[str]] = {}
    if not report.narrative.strip():
        errors["narrative"] = [_("提交前请填写进展情况。")]
    if report.percent_complete is None:
        errors["percent_complete"] = [_("提交前请填写完成百分比。")]
    claims = {claim.milestone_id: claim for claim in report.milestone_claims.select_related("milestone")}
    if claims:
        reports = [report.pk]
        if report.kind == Kind.TASK:
            reports += list(Report.objects.filter(task_report_id=report.pk).values_list("pk", flat=True))
        with_files = set(ReportAttachment.objects.filter(report_id__in=reports, milestone_id__in=claims)
                         .values_list("milestone_id", flat=True))
        given = content.milestone_claims if content is not None else None
        order = ([row.milestone for row in given] if given is not None
                 else sorted(claims, key=lambda milestone_id: claims[milestone_id].pk))
        for n, milestone_id in enumerate(order):
            claim = claims.get(milestone_id)
            if claim is not None and not claim.evidence.strip() and milestone_id not in with_files:
                errors[f"milestone_claims[{n}].evidence"] = [
                    _("节点“%(title)s”标记为已完成，请填写佐证说明或上传佐证文件。") % {"title": claim.milestone.title}]
    if errors:
        raise ValidationError(errors)


def saved(report: Report, content: ReportContent, values: Iterable[IndicatorClaim],
          claims: Iterable[MilestoneClaim]) -> dict[str, Any]:
    """What a save wrote, as plain data for its revision: the fields it was given (lists keyed by indicator and
    milestone id), nothing it left as it was — so the revision costs no read."""
    data: dict[str, Any] = {"status": report.status}
    if content.narrative is not None:
        data["narrative"] = report.narrative
    if content.percent_given:
        data["percent_complete"] = report.percent_complete
    if content.indicator_values is not None:
        data["indicator_values"] = {str(c.indicator_id): c.value for c in values}
    if content.milestone_claims is not None:
        data["milestone_claims"] = {str(c.milestone_id): {"completed_date": c.completed_date, "evidence": c.evidence}
                                    for c in claims}
    return jsonable(data)


def prefill_task_report(task_report: Report) -> list[str]:
    """Start the consolidated report from its parts: the lead unit's part first, then the others in order.

    Claims the task report already has (after a return) are kept; a first consolidation reads none (it has none).
    Returns the task report's fields it changed (the caller saves them).
    """
    parts = list(Report.objects.filter(task_report_id=task_report.pk, kind=Kind.PART)
                 .select_related("unit").prefetch_related("indicator_claims", "milestone_claims")
                 .order_by("unit_order", "unit_id"))
    parts.sort(key=lambda part: part.unit_id != task_report.unit_id)
    first = task_report.version == 1  # never moved nor saved: it has no claims yet
    values: dict[int, IndicatorClaim | None] = {} if first else dict.fromkeys(
        task_report.indicator_claims.values_list("indicator_id", flat=True))
    claims: dict[int, MilestoneClaim | None] = {} if first else dict.fromkeys(
        task_report.milestone_claims.values_list("milestone_id", flat=True))
    for part in parts:
        for value in part.indicator_claims.all():
            if value.indicator_id not in values:
                values[value.indicator_id] = IndicatorClaim(
                    report=task_report, indicator_id=value.indicator_id, value=value.value, note=value.note)
        for claim in part.milestone_claims.all():
            if claim.milestone_id not in claims:
                claims[claim.milestone_id] = MilestoneClaim(
                    report=task_report, milestone_id=claim.milestone_id, completed_date=claim.completed_date,
                    evidence=claim.evidence)
    IndicatorClaim.objects.bulk_create([value for value in values.values() if value is not None])
    MilestoneClaim.objects.bulk_create([claim for claim in claims.values() if claim is not None])
    if task_report.narrative:
        return []
    task_report.narrative = "\n\n".join(f"【{p.unit.short_name}】{p.narrative}" for p in parts if p.narrative)
    percents = [p.percent_complete for p in parts if p.percent_complete is not None]
    if task_report.percent_complete is None and percents:
        task_report.percent_complete = min(percents)
    return ["narrative", "percent_complete"]


def apply_approval(task_report: Report, *, actor: AbstractBaseUser) -> None:
    """Only approved work counts: apply the approved task report's milestone completions and indicator values,
    with set-based statements, and audit what it applied (attributed to the approver).

    Idempotent: a milestone already completed keeps its first approved completion; the indicator value of the
    round is the latest approved report's.
    """
    claims = MilestoneClaim.objects.filter(report_id=task_report.pk, milestone_id=OuterRef("pk"))
    milestones = Milestone.objects.filter(claims__report_id=task_report.pk, status=Milestone.Status.PENDING)
    done = list(milestones.values_list("code", flat=True))
    milestones.update(status=Milestone.Status.DONE, completion_report_id=task_report.pk,
                      completed_date=Subquery(claims.values("completed_date")[:1]), version=F("version") + 1)
    values = list(IndicatorClaim.objects.filter(report_id=task_report.pk).values_list("indicator_id", "value",
                                                                                    "indicator__code"))
    IndicatorValue.objects.bulk_create(
        [IndicatorValue(indicator_id=indicator_id, round_id=task_report.round_id, value=value,
                        report_id=task_report.pk, approved_at=task_report.approved_at)
         for indicator_id, value, _code in values],
        update_conflicts=True, unique_fields=["indicator", "round"], update_fields=["value", "report", "approved_at"],
    )
    PlanTask.objects.filter(pk=task_report.task_id, status=PlanTask.Status.NOT_STARTED).update(
        status=PlanTask.Status.IN_PROGRESS, version=F("version") + 1)
    audit_record(action="report.apply", obj=task_report, actor=actor, unit_id=task_report.unit_id,
                 plan_id=task_report.round.plan_id, task_id=task_report.task_id,
                 after={"milestones": done, "indicators": [code for _id, _value, code in values]})


def carry_over(parts: Iterable[tuple[int, int, int]]) -> None:
    """一件事一次办: start each new part — (id, task id, unit id) — from the unit's last approved part of the same
    task: its narrative, % complete and indicator values (a few queries for all)."""
    wanted = {(task_id, unit_id): pk for pk, task_id, unit_id in parts}
    if not wanted:
        return
    lasts: dict[tuple[int, int], Report] = {}
    approved = Report.objects.filter(task_id__in={key[0] for key in wanted}, unit_id__in={key[1] for key in wanted},
                                     kind=Kind.PART, status=Status.APPROVED)
    for last in approved.order_by("-approved_at").only("pk", "task_id", "unit_id", "narrative", "percent_complete"):
        if (last.task_id, last.unit_id) in wanted:
            lasts.setdefault((last.task_id, last.unit_id), last)
    if not lasts:
        return
    claims: dict[int, list[IndicatorClaim]] = {}
    for claim in IndicatorClaim.objects.filter(report_id__in=[last.pk for last in lasts.values()]):
        claims.setdefault(claim.report_id, []).append(claim)
    Report.objects.bulk_update(
        [Report(pk=wanted[key], narrative=last.narrative, percent_complete=last.percent_complete)
         for key, last in lasts.items()], ["narrative", "percent_complete"])
    IndicatorClaim.objects.bulk_create([
        IndicatorClaim(report_id=wanted[key], indicator_id=c.indicator_id, value=c.value, note=c.note)
        for key, last in lasts.items() for c in claims.get(last.pk, [])
    ])
