"""Template helpers of the task page's audit trail: a label and a kind for each action, and what an event
changed, before → after (which events a reader may see is decided in ``tasks.selectors.task_events``).
Pure presentation over ``tasks`` models (the reports' events
included, since reports live here); no writes, no queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from tasks.colours import report_status_colour
from tasks.models import AuditEvent, Indicator, Milestone, Plan, PlanTask, Report

register = template.Library()


AUDIT_LABELS = {
    "report.submit": pgettext_lazy("event", "提交"),
    "report.consolidate": pgettext_lazy("event", "汇总报告提交审核"),
    "report.sign_off": pgettext_lazy("event", "审签通过"),
    "report.lead_sign_off": pgettext_lazy("event", "牵头单位负责人审签通过"),
    "report.parts_ready": pgettext_lazy("event", "各单位报告已审签，开始汇总"),
    "report.return": pgettext_lazy("event", "退回牵头单位"),
    "report.return_in_unit": pgettext_lazy("event", "单位内退回"),
    "report.return_by_lead": pgettext_lazy("event", "牵头单位退回单位报告"),
    "report.return_by_lead_head": pgettext_lazy("event", "牵头单位负责人退回汇总报告"),
    "report.return_by_supervisor": pgettext_lazy("event", "督查退回牵头单位"),
    "report.return_part_by_supervisor": pgettext_lazy("event", "督查退回单位报告"),
    "report.approve": pgettext_lazy("event", "审核通过"),
    "report.apply": pgettext_lazy("event", "审核结果生效"),
    "report.attach": pgettext_lazy("event", "上传佐证材料"),
    "round.open": pgettext_lazy("event", "开启报送轮次"),
    "round.close": pgettext_lazy("event", "结束报送轮次"),
    "task.create": pgettext_lazy("event", "新建任务"),
    "task.update": pgettext_lazy("event", "修改任务"),
    "milestone.create": pgettext_lazy("event", "新增节点"),
    "milestone.update": pgettext_lazy("event", "修改节点"),
    "milestone.move": pgettext_lazy("event", "调整节点日期"),
    "indicator.create": pgettext_lazy("event", "新增指标"),
    "indicator.update": pgettext_lazy("event", "修改指标"),
    "plan.import": pgettext_lazy("event", "导入方案"),
    "plan.update": pgettext_lazy("event", "修改方案"),
    "light.override": pgettext_lazy("event", "调整灯色"),
    "evaluation.start": pgettext_lazy("event", "发起赛马比拼"),
    "evaluation.adjust": pgettext_lazy("event", "赛马比拼加减分"),
    "evaluation.rate": pgettext_lazy("event", "赛马比拼督查评分"),
    "evaluation.open_appeals": pgettext_lazy("event", "赛马比拼进入申诉期"),
    "evaluation.appeal": pgettext_lazy("event", "赛马比拼申诉"),
    "evaluation.appeal_resolve": pgettext_lazy("event", "答复赛马比拼申诉"),
    "evaluation.submit": pgettext_lazy("event", "赛马比拼送领导审定"),
    "evaluation.approve": pgettext_lazy("event", "领导审定赛马比拼"),
    "evaluation.return": pgettext_lazy("event", "领导退回赛马比拼"),
    "evaluation.publish": pgettext_lazy("event", "发布赛马比拼结果"),
}
AUDIT_KINDS = {
    "report.return": "return", "report.return_in_unit": "return", "report.return_by_lead": "return",
    "report.return_by_lead_head": "return", "report.return_by_supervisor": "return",
    "report.return_part_by_supervisor": "return", "report.approve": "done", "report.apply": "done",
    "report.submit": "submit", "report.consolidate": "submit", "report.sign_off": "submit",
    "report.lead_sign_off": "submit",
}
_MODELS: dict[str, type[Model]] = {
    "report": Report, "plantask": PlanTask, "milestone": Milestone, "indicator": Indicator, "plan": Plan,
}


@register.filter
def audit_label(event: AuditEvent) -> str:
    """A human label for an audit action (report.return_by_lead → 牵头单位退回); unknown actions as they are."""
    return str(AUDIT_LABELS.get(event.action, event.action))


@register.filter
def audit_kind(event: AuditEvent) -> str:
    """return | done | submit | other: how the timeline marks the event."""
    return AUDIT_KINDS.get(event.action, "other")


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    before_colour: str = ""
    after_colour: str = ""


def _field_label(model: type[Model] | None, key: str) -> str:
    if model is not None:
        try:
            return str(model._meta.get_field(key).verbose_name)
        except FieldDoesNotExist:
            pass
    return key


def _shown(value: Any, limit: int = 60) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "、".join(_shown(item, limit) for item in value) or "—"
    if isinstance(value, dict):
        return "、".join(f"{k} {_shown(v, limit)}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _choice_label(model: type[Model] | None, key: str, value: Any) -> str:
    if model is None:
        return _shown(value)
    try:
        choices = dict(model._meta.get_field(key).choices or ())
    except FieldDoesNotExist:
        return _shown(value)
    return str(choices.get(value, _shown(value)))


@register.simple_tag
def audit_changes(event: AuditEvent) -> list[Change]:
    """What an event changed, for people: fields present before and after with different values (labels from
    the model, statuses as chips of a report), the milestones and indicators an approval applied, the file
    an upload attached. Creations list nothing (the label says it)."""
    before, after = event.before or {}, event.after or {}
    model = _MODELS.get(event.object_type)
    changes: list[Change] = []
    for key, new in after.items():
        if key == "version" or key not in before or before[key] == new:
            continue
        label = _field_label(model, key)
        if key == "status" and model is Report:
            old, now = Report(status=before[key]), Report(status=new)
            colours = (report_status_colour(old.status), report_status_colour(now.status))
            changes.append(Change(label, str(old.get_status_display()), str(now.get_status_display()), *colours))
        elif key == "status":
            changes.append(Change(label, _choice_label(model, key, before[key]), _choice_label(model, key, new)))
        else:
            changes.append(Change(label, _shown(before[key]), _shown(new)))
    if event.action == "report.apply":
        if after.get("milestones"):
            changes.append(Change(_("完成节点"), "", _shown(after["milestones"])))
        if after.get("indicators"):
            changes.append(Change(_("指标实际值"), "", _shown(after["indicators"])))
    if event.action == "report.attach" and after.get("file"):
        changes.append(Change(_("文件"), "", _shown(after["file"])))
    return changes

