"""A unit's process facts from its reports in the period: due, on time, reviewed and first pass (a return by a
supervisor counts against it; a return inside the unit or by the lead unit does not), claims with evidence; and its
tasks with its role in each, as the cap of a red major task reads them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from evaluation.rules import DEFAULT_SPEC, rank_track, unit_score
from evaluation.snapshot import plan_judging, unit_facts
from tasks.lifecycle import Kind, Status
from tasks.models import AuditEvent, MilestoneClaim, Report, ReportingRound
from tests.factories import make_milestone, make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_process_counts_per_unit():
    plan = make_plan("cq")
    jxw = Unit.objects.get(short_name="市经济信息委")
    q3 = ReportingRound.objects.create(plan=plan, period="2025-Q3", period_start=date(2025, 7, 1),
                                       period_end=date(2025, 9, 30), due_date=date(2025, 10, 10))  # fmt: skip
    q2 = ReportingRound.objects.create(plan=plan, period="2025-Q2", period_start=date(2025, 4, 1),
                                       period_end=date(2025, 6, 30), due_date=date(2025, 7, 10))  # fmt: skip
    at = datetime(2025, 10, 9, 10, tzinfo=SHANGHAI)
    reports = []
    for n, (status, on_time, returns) in enumerate([
        (Status.APPROVED, True, ()),  # first pass
        (Status.APPROVED, True, ("report.return_by_supervisor",)),  # approved after a supervisor's return
        (Status.APPROVED, False, ("report.return_by_lead",)),  # a lead unit's return does not count
        (Status.IN_REVIEW, True, ("report.return_by_supervisor",)),  # returned, not yet approved: reviewed
        (Status.CONSOLIDATING, None, ()),  # not reviewed yet, not submitted
    ]):  # fmt: skip
        task = make_task(plan, f"1.{n}", title=f"任务{n}")
        milestone = make_milestone(task, "a", date(2025, 9, 1))
        report = Report.objects.create(round=q3, task=task, unit=jxw, kind=Kind.TASK, status=status, on_time=on_time,
                                       due_date=q3.due_date, submitted_at=at if on_time is not None else None,
                                       approved_at=at if status == Status.APPROVED else None)  # fmt: skip
        for action in returns:
            AuditEvent.objects.create(action=action, object_type="report", object_id=str(report.pk), plan=plan,
                                      task=task)  # fmt: skip
        if status == Status.APPROVED:
            MilestoneClaim.objects.create(report=report, milestone=milestone, completed_date=date(2025, 9, 1),
                                          evidence="验收报告" if n else "")  # fmt: skip
        reports.append(report)
    # a report of another period does not count
    Report.objects.create(round=q2, task=reports[0].task, unit=jxw, kind=Kind.TASK, status=Status.APPROVED,
                          on_time=False, due_date=q2.due_date, approved_at=at)  # fmt: skip
    facts = unit_facts(plan_id=plan.pk, period_start=q3.period_start, period_end=q3.period_end,
                       as_of=date(2025, 10, 20), lights={}, spec=DEFAULT_SPEC)[jxw.pk]  # fmt: skip
    p = facts.process
    assert (p.parts_due, p.parts_on_time, p.reviewed, p.first_pass) == (5, 3, 4, 2)
    assert (p.claims, p.claims_with_evidence) == (3, 2)


# Each claim: its note, and whether a file is attached to that milestone of that report.
EVIDENCE = [
    ("验收报告", False),  # a note
    ("", True),  # a file
    ("", False),  # nothing
    ("   ", False),  # spaces only: blank
    ("\u3000\n\t", False),  # ideographic space, newline, tab: blank as str.strip() says
    ("\u00a0\u2003 ", False),  # no-break and em spaces: blank
    (" \u3000见附件\u3000 ", False),  # a note between spaces
    ("\u3000", True),  # blank, but a file
    ("\u200b", False),  # a zero-width space is not whitespace to Python: a note
]


def test_claims_with_evidence_count_a_note_as_python_strips_it_or_a_file_of_that_milestone():
    from django.contrib.auth.models import User

    from tasks.models import ReportAttachment

    plan = make_plan("cq")
    jxw = Unit.objects.get(short_name="市经济信息委")
    q3 = ReportingRound.objects.create(plan=plan, period="2025-Q3", period_start=date(2025, 7, 1),
                                       period_end=date(2025, 9, 30), due_date=date(2025, 10, 10))  # fmt: skip
    at = datetime(2025, 10, 9, 10, tzinfo=SHANGHAI)
    uploader = User.objects.create_user("alice")
    task = make_task(plan, "1.1", title="任务")
    report = Report.objects.create(round=q3, task=task, unit=jxw, kind=Kind.TASK, status=Status.APPROVED,
                                   on_time=True, due_date=q3.due_date, submitted_at=at, approved_at=at)  # fmt: skip
    other = make_milestone(task, "z", date(2025, 9, 30))
    for n, (note, attached) in enumerate(EVIDENCE):
        milestone = make_milestone(task, f"m{n}", date(2025, 9, 1))
        MilestoneClaim.objects.create(report=report, milestone=milestone, completed_date=date(2025, 9, 1),
                                      evidence=note)  # fmt: skip
        # a file of another milestone of the same report never counts for this one
        ReportAttachment.objects.create(report=report, milestone=milestone if attached else other, file="x/y.pdf",
                                        original_name="y.pdf", content_type="application/pdf", extension="pdf",
                                        size=1, sha256="0" * 64, uploaded_by=uploader)  # fmt: skip
    facts = unit_facts(plan_id=plan.pk, period_start=q3.period_start, period_end=q3.period_end,
                       as_of=date(2025, 10, 20), lights={}, spec=DEFAULT_SPEC)[jxw.pk]  # fmt: skip
    expected = sum(bool(note.strip()) or attached for note, attached in EVIDENCE)
    assert expected == 5
    assert (facts.process.claims, facts.process.claims_with_evidence) == (len(EVIDENCE), expected)


@pytest.mark.parametrize(("scope", "capped"), [("lead", {"jxw"}), ("all", {"jxw", "yubei", "nanan"})])
def test_a_red_major_task_caps_its_lead_unit_and_under_scope_all_the_districts_that_share_it(scope, capped):
    """The register's roles reach the rule: a major task led by 市经济信息委 and shared by two districts is red (its
    milestone 40 days overdue); whose colour it caps, and the reason naming it, follow the spec's scope."""
    plan = make_plan("cq")
    major = make_task(plan, "2.1", importance="major", title="重大任务甲", responsible=("渝北区", "南岸区"))
    make_milestone(major, "a", date(2025, 9, 10))
    spec = replace(DEFAULT_SPEC, major_red_scope=scope)
    lights, units = plan_judging(plan_id=plan.pk, period_start=date(2025, 7, 1), period_end=date(2025, 9, 30),
                                 as_of=date(2025, 10, 20), spec=spec)  # fmt: skip
    assert lights[major.pk].colour == "red"
    codes = dict(Unit.objects.filter(pk__in=list(units)).values_list("pk", "code"))
    assert set(codes.values()) == {"jxw", "yubei", "nanan"}
    scores = [unit_score(each, spec) for each in units.values()]
    assert {codes[int(s.unit)] for s in scores if s.major_red_tasks == ("2.1",)} == capped
    reasons = {codes[int(s.unit)]: [reason.text for reason in s.reasons] for s in rank_track(scores, spec)}
    assert {code for code, texts in reasons.items() if "重大任务“重大任务甲”亮红灯" in texts} == capped
