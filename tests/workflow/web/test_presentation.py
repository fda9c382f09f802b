"""Pure presentation rules of the reporting pages, table-driven: what changed in a narrative, due states,
where a report stands in the stepper, and how the audit trail names its actions."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.models import AuditEvent, Report
from tasks.templatetags.audit import audit_changes, audit_label
from workflow.templatetags.reporting import due_state, narrative_diff, report_stages

S = Report.Status


@pytest.mark.parametrize(("old", "new", "added", "removed"), [
    ("", "完成立项。", ("完成立项。",), ()),
    ("完成立项。开展调研。", "完成立项。开展调研。", (), ()),
    ("完成立项。开展调研。", "完成立项。建成示范线。", ("建成示范线。",), ("开展调研。",)),
    ("第一句。\n第二句", "第一句。\n第二句\n第三句！", ("第三句！",), ()),
    ("营收 2.9 万亿元; next?", "营收 2.9 万亿元;", (), ("next?",)),  # a decimal point is no stop
])
def test_the_narrative_diff_works_by_sentence(old, new, added, removed):
    assert narrative_diff(old, new) == (added, removed)


@pytest.mark.parametrize(("due", "label", "colour", "days"), [
    (date(2025, 10, 8), "逾期 2 天", "red", 2),
    (date(2025, 10, 10), "今天到期", "yellow", 0),
    (date(2025, 10, 17), "7 天后到期", "yellow", 0),
    (date(2025, 10, 18), "8 天后到期", "grey", 0),
])
def test_due_states(due, label, colour, days):
    state = due_state(due, date(2025, 10, 10))
    assert (state.label, state.colour, state.overdue_days) == (label, colour, days)


@pytest.mark.parametrize(("kind", "status", "states"), [
    ("part", S.DRAFT, "current todo todo todo todo todo"),
    ("part", S.SUBMITTED, "done current todo todo todo todo"),
    ("part", S.SIGNED_OFF, "done done current todo todo todo"),
    ("task", S.WAITING, "current todo todo todo todo todo"),
    ("task", S.CONSOLIDATING, "done done current todo todo todo"),
    ("task", S.LEAD_SIGN_OFF, "done done done current todo todo"),
    ("task", S.IN_REVIEW, "done done done done current todo"),
    ("task", S.APPROVED, "done done done done done done"),
    ("part", S.APPROVED, "done done done done done done"),
])
def test_the_stepper_shows_where_a_report_stands(kind, status, states):
    assert " ".join(stage.state for stage in report_stages(Report(kind=kind, status=status))) == states


@pytest.mark.parametrize(("action", "label"), [
    ("report.submit", "提交"), ("report.return_by_lead", "牵头单位退回单位报告"), ("report.approve", "审核通过"),
    ("milestone.move", "调整节点日期"), ("something.new", "something.new"),
])
def test_audit_actions_have_human_labels_and_unknown_ones_stay_as_they_are(action, label):
    assert audit_label(AuditEvent(action=action)) == label


def test_audit_changes_list_only_what_differs_with_report_statuses_as_chips():
    event = AuditEvent(action="report.return", object_type="report", before={"status": "in_review"},
                       after={"status": "consolidating", "version": 7})
    [change] = audit_changes(event)
    assert (change.label, change.before, change.after) == ("状态", "待审核", "汇总中")
    assert (change.before_colour, change.after_colour) == ("yellow", "yellow")
    created = AuditEvent(action="task.create", object_type="plantask", after={"code": "1.1", "title": "x"})
    assert audit_changes(created) == []
