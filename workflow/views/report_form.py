"""The report page's form (fill, or consolidate): its rows, filled from the report or from what the user typed, and
a POST read into the content ``services.report_update`` takes, with names for the services' error paths."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from tasks.models import Indicator, Milestone, Report, ReportAttachment
from workflow import services
from workflow.selectors import Evidence


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicator
    value: str
    note: str
    previous: Decimal | None
    interim: Decimal | None


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    claimed: bool
    completed_date: str
    evidence: str
    attachments: tuple[ReportAttachment, ...]


def _open_milestones(report: Report) -> list[Milestone]:
    """Milestones a report may claim: the task's pending ones, and any it already claims."""
    claimed = {claim.milestone_id for claim in report.milestone_claims.all()}
    return [m for m in report.task.milestones.all() if m.status == Milestone.Status.PENDING or m.pk in claimed]


def _content_of(report: Report) -> dict[str, Any]:
    """The report's stored content in the shape ``services.report_update`` takes."""
    return {
        "narrative": report.narrative,
        "percent_complete": "" if report.percent_complete is None else format(report.percent_complete.normalize(), "f"),
        "indicator_values": [{"indicator": c.indicator_id, "value": format(c.value.normalize(), "f"), "note": c.note}
                             for c in report.indicator_claims.all()],
        "milestone_claims": [{"milestone": c.milestone_id, "completed_date": c.completed_date.isoformat(),
                              "evidence": c.evidence} for c in report.milestone_claims.all()],
    }


def _read_form(post: QueryDict, report: Report) -> tuple[dict[str, Any], list[str]]:
    """The fill form's fields in the shape ``services.report_update`` takes, and the form's own shape errors
    (a milestone ticked without a date). Indicators left empty are not sent."""
    indicator_values = []
    for indicator in report.task.indicators.all():
        value = post.get(f"indicator-{indicator.pk}-value", "").strip()
        if value:
            indicator_values.append({"indicator": indicator.pk, "value": value,
                                     "note": post.get(f"indicator-{indicator.pk}-note", "").strip()})
    milestone_claims, errors = [], []
    for milestone in _open_milestones(report):
        if not post.get(f"milestone-{milestone.pk}-done"):
            continue
        completed = post.get(f"milestone-{milestone.pk}-date", "").strip()
        if not completed:
            errors.append(_("请填写节点“%(title)s”的完成日期。") % {"title": milestone.title})
        milestone_claims.append({"milestone": milestone.pk, "completed_date": completed,
                                 "evidence": post.get(f"milestone-{milestone.pk}-evidence", "").strip()})
    content = {"narrative": post.get("narrative", ""), "percent_complete": post.get("percent_complete", "").strip(),
               "indicator_values": indicator_values, "milestone_claims": milestone_claims}
    return content, errors


def _content_from_post(post: QueryDict, report: Report) -> dict[str, Any]:
    """``_read_form``'s content; its shape errors as a ValidationError."""
    content, errors = _read_form(post, report)
    if errors:
        raise ValidationError(errors)
    return content


def _field_labels(report: Report, content: dict[str, Any]) -> dict[str, str]:
    """Names for the services' error paths (``indicator_values[0]`` → the indicator's name)."""
    indicators = {i.pk: i.display_name for i in report.task.indicators.all()}
    milestones = {m.pk: m.title for m in report.task.milestones.all()}
    labels = {"narrative": _("进展情况"), "percent_complete": _("完成百分比"), "file": _("文件")}
    for n, row in enumerate(content.get("indicator_values") or []):
        labels[f"indicator_values[{n}]"] = indicators.get(services.as_int(row.get("indicator")), "")
    for n, row in enumerate(content.get("milestone_claims") or []):
        labels[f"milestone_claims[{n}]"] = milestones.get(services.as_int(row.get("milestone")), "")
    return labels


def _form_rows(report: Report, content: dict[str, Any], previous: Report | None, year: int,
               evidence: Evidence) -> tuple[list[IndicatorRow], list[MilestoneRow]]:
    """The editable rows of the fill form: each indicator with last period's approved value and this year's
    interim target beside the value being typed; each open milestone with its claim and evidence files (while
    consolidating, the parts' files too)."""
    values = {services.as_int(row.get("indicator")): row for row in content.get("indicator_values") or []}
    last = {claim.indicator_id: claim.value for claim in previous.indicator_claims.all()} if previous else {}
    indicator_rows = []
    for indicator in report.task.indicators.all():
        row = values.get(indicator.pk, {})
        interim = next((t.value for t in indicator.interim_targets.all() if t.year == year), None)
        indicator_rows.append(IndicatorRow(indicator=indicator, value=str(row.get("value", "")),
                                           note=str(row.get("note", "")), previous=last.get(indicator.pk),
                                           interim=interim))
    claims = {services.as_int(row.get("milestone")): row for row in content.get("milestone_claims") or []}
    milestone_rows = []
    for m in _open_milestones(report):
        claim = claims.get(m.pk, {})
        milestone_rows.append(MilestoneRow(
            milestone=m, claimed=m.pk in claims, completed_date=str(claim.get("completed_date", "")),
            evidence=str(claim.get("evidence", "")), attachments=tuple(evidence.of(m.pk))))
    return indicator_rows, milestone_rows


def _has_content(post: QueryDict) -> bool:
    return "narrative" in post


def _typed(request: HttpRequest, report: Report) -> dict[str, Any] | None:
    """What the user typed, to show again after a refusal; None when the form carried no content."""
    return _read_form(request.POST, report)[0] if _has_content(request.POST) else None
