"""One rule for "open", in SQL and in Python: the reconcile's query (``open_*_q``) and the sweep's check of a loaded
row (``milestone_is_open``, ``report_is_open``) select exactly the same milestones and reports over a table of cases."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from notifications import subjects
from notifications.planner import ItemKind
from tasks.lifecycle import Kind, Status
from tasks.models import Milestone, Plan, PlanTask, Report
from tests.factories import make_milestone, make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db


def test_open_milestones_agree_in_sql_and_in_python():
    for n, (plan_status, task_status, done) in enumerate(product(Plan.Status.values, PlanTask.Status.values,
                                                                 (False, True))):
        plan = make_plan(f"p{n}", status=plan_status)
        task = make_task(plan, "1", status=task_status,
                         completed_date=date(2025, 1, 1) if task_status == PlanTask.Status.DONE else None)
        make_milestone(task, "m", date(2025, 9, 30), status=Milestone.Status.DONE if done else Milestone.Status.PENDING,
                       completed_date=date(2025, 9, 1) if done else None)
    in_sql = set(Milestone.objects.filter(subjects.open_milestones_q()).values_list("pk", flat=True))
    in_python = {milestone.pk for milestone in subjects.milestones(Milestone.objects.values_list("pk", flat=True))
                 .values() if subjects.milestone_is_open(milestone)}
    assert in_sql == in_python and len(in_sql) == 2  # pending, in an active plan, task not done (two task statuses)
    # The sweep's read of plain values gives the same subjects as the loaded rows, open or not, owner or lead unit.
    ids = list(Milestone.objects.order_by("pk").values_list("pk", flat=True))
    lead, owner = Unit.objects.order_by("pk")[:2]
    PlanTask.objects.update(lead_unit=lead)
    Milestone.objects.filter(pk__in=ids[::2]).update(owner_unit=owner)
    loaded = {pk: subjects.milestone_subject(milestone) for pk, milestone in subjects.milestones(ids).items()}
    assert subjects.milestone_subjects(ids) == loaded and sum(subject is not None for subject in loaded.values()) == 2


def test_open_reports_agree_in_sql_and_in_python(world):
    round_ = world.open_round()
    reports = list(Report.objects.filter(round=round_))
    assert len(reports) == 3
    statuses = list(Status)
    for plan_status in Plan.Status.values:
        Plan.objects.filter(pk=world.plan.pk).update(status=plan_status)
        for status in statuses:
            Report.objects.filter(pk__in=[report.pk for report in reports]).update(
                status=status, approved_at=round_.opened_at if status == Status.APPROVED else None)
            in_sql = set(Report.objects.filter(subjects.open_reports_q()).values_list("pk", flat=True))
            loaded = subjects.reports(report.pk for report in reports).values()
            in_python = {report.pk for report in loaded if subjects.report_is_open(report)}
            assert in_sql == in_python, (plan_status, status)
            expected = plan_status != Plan.Status.DRAFT and status in subjects.OPEN_REPORT_STATUSES
            assert bool(in_sql) is expected, (plan_status, status)


def test_each_waiting_status_is_a_step_item():
    kinds = {(Kind.PART, Status.DRAFT): ItemKind.FILL, (Kind.PART, Status.SUBMITTED): ItemKind.SIGN_OFF,
             (Kind.TASK, Status.CONSOLIDATING): ItemKind.CONSOLIDATE,
             (Kind.TASK, Status.LEAD_SIGN_OFF): ItemKind.LEAD_SIGN_OFF, (Kind.TASK, Status.IN_REVIEW): ItemKind.REVIEW}
    for (kind, status), item in kinds.items():
        assert subjects.report_item_kind(Report(kind=kind, status=status)) == item
    for status in (Status.SIGNED_OFF, Status.WAITING, Status.APPROVED):
        assert subjects.report_item_kind(Report(status=status)) is None


def test_a_review_has_no_due_date_and_counts_its_wait(world):
    round_ = world.open_round()
    task_report = world.task_report(round_)
    Report.objects.filter(pk=task_report.pk).update(status=Status.IN_REVIEW)
    subject = subjects.report_subject(subjects.reports([task_report.pk])[task_report.pk])
    assert subject.item.kind == ItemKind.REVIEW and subject.item.due_date is None
    assert subject.item.waiting_since is not None and subject.url == f"/reports/{task_report.pk}/"


def test_a_task_url_made_from_the_template_is_what_reverse_says():
    from django.urls import NoReverseMatch, reverse

    task_url = subjects.task_url_maker()
    for plan_code, task_code in [("cq-manufacturing-2023-2027", "2.4.1.10"), ("p_1", "A-3.b"), ("x", "1")]:
        assert task_url(plan_code, task_code) == reverse("task-detail", kwargs={"code": plan_code,
                                                                                "task_code": task_code})
    with pytest.raises(NoReverseMatch):  # a code the route refuses still fails, as reverse does
        task_url("p", "1/2")
