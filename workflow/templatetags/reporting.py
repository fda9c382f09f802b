"""Template helpers of the reporting-loop pages: the navigation's inbox badge, step and status labels, due
states and "what changed since last period". Pure presentation: reads go through ``workflow.selectors`` with
the acting user; no writes. (The task page's reports by round are a panel, ``workflow.panels``; its audit
trail's labels are tasks' ``audit`` library.)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from tasks.colours import report_status_colour
from tasks.due import classify_due
from tasks.files import download_name, stored_type
from tasks.lifecycle import TABLE, Step
from tasks.models import (
    Indicator,
    MilestoneClaim,
    Report,
    ReportAttachment,
    ReportingRound,
)
from tasks.templatetags.luoshi import DUE_COLOURS, due_label
from units.selectors import user_scope
from workflow import selectors

register = template.Library()
S = Report.Status

# --- steps and states ----------------------------------------------------------------------------------------

STEP_LABELS = {str(step): step.label for step in Step}
STEP_ACTIONS = {str(stage.step): stage.verb for stage in TABLE.values() if stage.step}
ROUND_STATUS_COLOURS = {
    ReportingRound.Status.OPENING: "yellow",
    ReportingRound.Status.OPEN: "green",
    ReportingRound.Status.CLOSED: "blue",
}


@register.filter
def step_label(step: str | None) -> str:
    """填报 / 审签 / 汇总 / 审核 for a step key; empty for none."""
    return str(STEP_LABELS.get(step or "", ""))


@register.filter
def step_action(step: str | None) -> str:
    """The inbox button's verb for a step (去填报 …)."""
    return str(STEP_ACTIONS.get(step or "", _("查看")))


@register.filter(name="returned")
def is_returned(report: Report) -> bool:
    """Sent back and not yet passed on again (``tasks.lifecycle.is_returned``)."""
    return report.is_returned


@register.filter
def report_colour(report: Report) -> str:
    """The chip colour of a report's state; a returned report is orange until it moves on."""
    return "orange" if is_returned(report) else report_status_colour(report.status)


@register.filter
def report_state(report: Report) -> str:
    """The chip text of a report's state: 已退回 while returned, else the status label."""
    return _("已退回") if is_returned(report) else str(report.get_status_display())


@register.filter
def waiting_parts(parts: Iterable[Report]) -> list[Report]:
    """The parts a task report still waits for: not yet signed off (each holds its unit's next step)."""
    return [part for part in parts if part.step is not None]


@register.filter
def waited_days(report: Report) -> int:
    """Whole days (Asia/Shanghai) since the report entered its current step."""
    return (timezone.localdate() - timezone.localdate(report.step_started_at)).days


@register.filter
def round_colour(round_: ReportingRound) -> str:
    return ROUND_STATUS_COLOURS.get(round_.status, "grey")


@dataclass(frozen=True)
class DueState:
    label: str
    colour: str
    overdue_days: int


@register.simple_tag
def due_state(due: date, today: date) -> DueState:
    """A due date's chip by the one due rule (``tasks.due``): overdue red, due today or soon yellow, later grey."""
    state = classify_due(due, done=False, today=today)
    return DueState(due_label(state), DUE_COLOURS[state.key], state.days_overdue)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    state: str  # done | current | todo


_STAGES = (*((str(step), step.label) for step in Step), ("approved", S.APPROVED.label))
_PART_STAGE = {S.DRAFT: 0, S.SUBMITTED: 1, S.SIGNED_OFF: 2, S.APPROVED: len(_STAGES)}
_TASK_STAGE = {S.WAITING: 0, S.CONSOLIDATING: 2, S.LEAD_SIGN_OFF: 3, S.IN_REVIEW: 4, S.APPROVED: len(_STAGES)}


@register.simple_tag
def report_stages(report: Report) -> list[Stage]:
    """Where a report stands in 填报 → 审签 → 汇总 → 审核 → 已通过 (the page's stepper)."""
    stages = _PART_STAGE if report.kind == Report.Kind.PART else _TASK_STAGE
    current = stages.get(report.status, 0)
    result = []
    for index, (key, label) in enumerate(_STAGES):
        if index < current:
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "todo"
        result.append(Stage(key=key, label=str(label), state=state))
    return result


# --- the navigation badge -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxNav:
    total: int
    overdue: int
    steps: tuple[tuple[str, str, int], ...]
    sees_rounds: bool

    @property
    def summary(self) -> str:
        """"填报 2 · 审签 1" — the steps with items, for the badge's tooltip."""
        return " · ".join(f"{label} {count}" for _step, label, count in self.steps if count)


@register.simple_tag(takes_context=True)
def inbox_nav(context: template.Context) -> InboxNav | None:
    """The signed-in user's inbox counts per step and whether the rounds link shows. One counting query per
    request (``selectors.inbox_counts``), cached on the request; None for anonymous visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(request, "_luoshi_inbox_nav", None)
    if cached is None:
        counts = selectors.inbox_counts(user=user)
        cached = InboxNav(
            total=counts.get("total", 0),
            overdue=counts.get("overdue", 0),
            steps=tuple((step, str(label), counts.get(step, 0)) for step, label in STEP_LABELS.items()),
            sees_rounds=user_scope(user).sees_all_units,
        )
        request._luoshi_inbox_nav = cached
    return cached


# --- revisions of a report ---------------------------------------------------------------------------------------

REVISION_LABELS = {
    "update": pgettext_lazy("event", "保存"),
    "submit": pgettext_lazy("event", "提交"),
    "report.submit": pgettext_lazy("event", "提交"),
    "report.consolidate": pgettext_lazy("event", "提交审核"),
    "sign_off": pgettext_lazy("event", "审签通过"),
    "return": pgettext_lazy("event", "退回"),
    "parts_ready": pgettext_lazy("event", "开始汇总"),
    "part_returned": pgettext_lazy("event", "单位报告被退回"),
    "approve": pgettext_lazy("event", "审核通过"),
    "approved": pgettext_lazy("event", "随汇总报告通过"),
    "attach": pgettext_lazy("event", "上传佐证材料"),
}


@register.filter
def revision_label(action: str) -> str:
    return str(REVISION_LABELS.get(action, action))


# --- what changed since last period -------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。！？；;!?\n]+[。！？；;!?]?")


def sentences(text: str) -> list[str]:
    """A narrative cut into sentences (Chinese and Western stops, and line breaks)."""
    return [piece.strip() for piece in _SENTENCE.findall(text or "") if piece.strip()]


def narrative_diff(old: str, new: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Sentences added in ``new`` and removed from ``old`` (pure; order kept)."""
    before, after = sentences(old), sentences(new)
    added: list[str] = []
    removed: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(before[i1:i2])
        if tag in ("replace", "insert"):
            added.extend(after[j1:j2])
    return tuple(added), tuple(removed)


@dataclass(frozen=True)
class IndicatorChange:
    indicator: Indicator
    before: Decimal | None
    after: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class ReportChanges:
    previous: Report | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    percent_before: Decimal | None
    percent_after: Decimal | None
    indicators: tuple[IndicatorChange, ...]
    new_claims: tuple[MilestoneClaim, ...]

    @property
    def narrative_changed(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def percent_changed(self) -> bool:
        return self.percent_before != self.percent_after

    @property
    def added_chars(self) -> int:
        return sum(len(text) for text in self.added)

    @property
    def removed_chars(self) -> int:
        return sum(len(text) for text in self.removed)


def _claims(report: Report | None) -> Iterable[Any]:
    return report.indicator_claims.all() if report is not None else ()


@register.simple_tag
def report_changes(report: Report, previous: Report | None) -> ReportChanges:
    """What a report says differently from the same unit's last approved report: sentences of the narrative
    added and removed, % complete, indicator values old → new, and milestones newly claimed. Reads prefetched
    claims only (``selectors.report_detail`` and ``previous_approved`` load them)."""
    old_values = {claim.indicator_id: claim for claim in _claims(previous)}
    new_values = {claim.indicator_id: claim for claim in _claims(report)}
    indicators = []
    for indicator_id in [*new_values, *(key for key in old_values if key not in new_values)]:
        claim = new_values.get(indicator_id) or old_values[indicator_id]
        indicators.append(IndicatorChange(
            indicator=claim.indicator,
            before=old_values[indicator_id].value if indicator_id in old_values else None,
            after=new_values[indicator_id].value if indicator_id in new_values else None,
        ))
    claimed_before = {claim.milestone_id for claim in previous.milestone_claims.all()} if previous else set()
    added, removed = narrative_diff(previous.narrative if previous else "", report.narrative)
    return ReportChanges(
        previous=previous,
        added=added,
        removed=removed,
        percent_before=previous.percent_complete if previous else None,
        percent_after=report.percent_complete,
        indicators=tuple(indicators),
        new_claims=tuple(claim for claim in report.milestone_claims.all() if claim.milestone_id not in claimed_before),
    )


# --- evidence ------------------------------------------------------------------------------------------------


@register.filter
def attachment_name(attachment: ReportAttachment) -> str:
    """The name a file downloads under: the uploader's base name with the detected type's extension."""
    return download_name(attachment.original_name, stored_type(attachment.content_type))


@register.filter
def previewable(attachment: ReportAttachment) -> bool:
    """Whether the file opens in the browser's own viewer (PDF, PNG, JPEG, GIF), sandboxed."""
    return stored_type(attachment.content_type).previewable
