"""The reporting loop end to end through the services: fill → sign off → consolidate → review → approve."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Process
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import PROCESS

from tasks.errors import Conflict
from tasks.models import AuditEvent, IndicatorValue, Milestone, PlanTask, Report
from tests.factories import make_task
from tests.support import submit_report
from tests.workflow.conftest import fill_and_sign
from workflow import services

S = Report.Status


def _process_of(report: Report) -> Process:
    return FlowTask.objects.get(pk=report.flow_task_id).process


@time_machine.travel("2025-10-08 10:00 +0800")
def test_happy_path_applies_milestones_and_indicator_values_only_on_approval(world):
    round_ = world.open_round()
    assert round_.status == "open" and round_.tasks_opened == 1
    fill_and_sign(world, round_, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "14.5"}],
                  milestone_claims=[{"milestone": world.milestone.pk, "completed_date": "2025-09-28",
                                     "evidence": "验收报告"}])
    assert world.task_report(round_).status == S.WAITING
    fill_and_sign(world, round_, "kjj", percent_complete="60")
    task_report = world.task_report(round_)
    assert task_report.status == S.CONSOLIDATING
    assert "fgw 进展" in task_report.narrative and "kjj 进展" in task_report.narrative
    assert task_report.indicator_claims.get().value == 14.5

    submit_report(actor=world["jxw-r"], report_id=task_report.pk)

    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    world.milestone.refresh_from_db()
    assert world.milestone.status == Milestone.Status.PENDING, "nothing counts before approval"
    assert not IndicatorValue.objects.exists()

    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    world.milestone.refresh_from_db()
    assert world.milestone.status == Milestone.Status.DONE
    assert world.milestone.completed_date == date(2025, 9, 28)
    assert world.milestone.completion_report_id == task_report.pk
    assert IndicatorValue.objects.get(indicator=world.indicator, round=round_).value == 14.5
    assert set(Report.objects.filter(round=round_).values_list("status", flat=True)) == {S.APPROVED}
    assert PlanTask.objects.get(pk=world.task.pk).status == PlanTask.Status.IN_PROGRESS
    part = world.part(round_, "市发展改革委")
    assert part.on_time is True and part.submitted_at is not None
    process = _process_of(Report.objects.get(pk=task_report.pk))
    assert process.status == PROCESS.DONE
    actions = list(AuditEvent.objects.filter(task=world.task).values_list("action", flat=True))
    assert actions.count("report.submit") == 2 and "report.approve" in actions and "report.apply" in actions


def test_a_head_returns_inside_the_unit_and_the_reporter_resubmits(world):
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    with pytest.raises(ValidationError):
        services.report_return(actor=world["fgw-h"], report_id=part.pk, reason="  ")
    services.report_return(actor=world["fgw-h"], report_id=part.pk, reason="数据口径不对")
    part.refresh_from_db()
    assert part.status == S.DRAFT and part.times_returned == 1 and part.last_return_reason == "数据口径不对"
    assert part.signed_off_at is None
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    services.report_sign_off(actor=world["fgw-h"], report_id=part.pk)
    assert world.part(round_, "市发展改革委").status == S.SIGNED_OFF


def test_the_lead_unit_returns_one_part_and_consolidates_after_it_comes_back(world):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    kjj = world.part(round_, "市科技局")
    assert kjj.signed_off_by == world["kjj-h"]
    services.report_return(actor=world["jxw-r"], report_id=kjj.pk, reason="缺少佐证")
    kjj.refresh_from_db()
    assert kjj.status == S.DRAFT
    assert (kjj.signed_off_by, kjj.signed_off_at) == (None, None), "a returned part must be signed off again"
    assert world.part(round_, "市发展改革委").status == S.SIGNED_OFF
    assert world.task_report(round_).status == S.WAITING
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    assert task_report.status == S.CONSOLIDATING
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    assert world.task_report(round_).status == S.APPROVED


def test_the_supervisor_returns_to_the_lead_unit_or_to_one_named_part(world):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_return(actor=world["sam"], report_id=task_report.pk, reason="汇总不完整")
    task_report.refresh_from_db()
    assert task_report.status == S.CONSOLIDATING and task_report.times_returned == 1

    submit_report(actor=world["jxw-r"], report_id=task_report.pk)

    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    fgw = world.part(round_, "市发展改革委")
    returned = services.report_return(actor=world["sam"], report_id=task_report.pk, reason="发改委数据有误",
                                      part_id=fgw.pk)
    assert returned.pk == fgw.pk
    assert world.part(round_, "市发展改革委").status == S.DRAFT
    assert world.task_report(round_).status == S.WAITING
    fill_and_sign(world, round_, "fgw")
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    task_report.refresh_from_db()
    assert task_report.status == S.APPROVED and task_report.times_returned == 2


def test_a_task_with_five_responsible_units_joins_once_all_five_are_signed_off(world):
    from tests.conftest import make_user
    from units.models import Membership

    five = ("市发展改革委", "市科技局", "市财政局", "市商务委", "市生态环境局")
    task = make_task(world.plan, "1.2", parent=world.task.parent, responsible=five)
    round_ = world.open_round()
    people = {name: (make_user(f"r{n}", (name, Membership.Role.REPORTER)),
                     make_user(f"h{n}", (name, Membership.Role.HEAD))) for n, name in enumerate(five)}
    for n, name in enumerate(five):
        part = world.part(round_, name, task=task)
        reporter, head = people[name]
        submit_report(actor=reporter, report_id=part.pk)
        services.report_sign_off(actor=head, report_id=part.pk)
        expected = S.CONSOLIDATING if n == 4 else S.WAITING
        assert world.task_report(round_, task=task).status == expected


def test_when_the_lead_unit_is_also_responsible_its_part_is_one_branch(world):
    task = make_task(world.plan, "1.3", parent=world.task.parent, responsible=("市经济信息委", "市发展改革委"))
    round_ = world.open_round()
    assert Report.objects.filter(round=round_, task=task, kind="part").count() == 2
    lead_part = world.part(round_, "市经济信息委", task=task)
    submit_report(actor=world["jxw-r"], report_id=lead_part.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=lead_part.pk)
    part = world.part(round_, "市发展改革委", task=task)
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    services.report_sign_off(actor=world["fgw-h"], report_id=part.pk)
    assert world.task_report(round_, task=task).status == S.CONSOLIDATING


def test_a_second_click_is_a_conflict_and_a_stale_version_too(world):
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    with pytest.raises(Conflict):
        submit_report(actor=world["fgw-r"], report_id=part.pk)
    kjj = world.part(round_, "市科技局")
    services.report_update(actor=world["kjj-r"], report_id=kjj.pk, content=services.report_content({"narrative": "a"}),
                           version=kjj.version)
    with pytest.raises(Conflict):
        services.report_update(actor=world["kjj-r"], report_id=kjj.pk,
                               content=services.report_content({"narrative": "b"}), version=kjj.version)


def test_services_check_the_acting_user_themselves(world):
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    with pytest.raises(PermissionDenied):
        submit_report(actor=world["fgw-h"], report_id=part.pk)
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    with pytest.raises(PermissionDenied):
        services.report_sign_off(actor=world["fgw-r"], report_id=part.pk)
    with pytest.raises(PermissionDenied):
        services.round_open(actor=world["jxw-r"], plan=world.plan, period="2025-Q4", due_date=date(2026, 1, 10))


def test_a_malformed_period_is_a_field_error(world):
    with pytest.raises(ValidationError) as error:
        services.round_open(actor=world["sam"], plan=world.plan, period="2025Q3", due_date=date(2025, 10, 10))
    assert "2025-Q3" in str(error.value.message_dict["period"])


def test_opening_the_same_round_twice_does_nothing_the_second_time(world):
    round_ = world.open_round()
    count = Report.objects.count()
    again, created = services.round_open(actor=world["sam"], plan=world.plan, period="2025-Q3",
                                         due_date=date(2025, 10, 10))
    assert (again.pk, created) == (round_.pk, False)
    services.round_open_run(round_id=round_.pk)
    assert Report.objects.count() == count
    assert Process.objects.count() == 1


@time_machine.travel("2025-10-12 10:00 +0800")
def test_a_late_submission_is_recorded_as_late_once(world):
    round_ = world.open_round(due=date(2025, 10, 10))
    part = world.part(round_, "市发展改革委")
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    part.refresh_from_db()
    assert part.on_time is False


def test_values_carry_over_from_the_last_approved_report(world):
    first = world.open_round("2025-Q2", date(2025, 7, 10))
    fill_and_sign(world, first, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "12"}],
                  percent_complete="40")
    fill_and_sign(world, first, "kjj")
    task_report = world.task_report(first)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    second = world.open_round("2025-Q3", date(2025, 10, 10))
    part = world.part(second, "市发展改革委")
    assert part.narrative == "fgw 进展" and part.percent_complete == 40
    assert part.indicator_claims.get().value == 12


def test_a_supervisors_return_of_one_part_is_one_event_labelled_by_its_level_and_target(world):
    """Issue 7, item 18: it was labelled "退回牵头单位" and logged twice (for the part and for the task report)."""
    from tasks.templatetags.audit import audit_label

    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    fgw = world.part(round_, "市发展改革委")
    before = AuditEvent.objects.count()
    services.report_return(actor=world["sam"], report_id=task_report.pk, reason="发改委数据有误", part_id=fgw.pk)
    events = list(AuditEvent.objects.order_by("pk")[before:])
    returns = [event for event in events if event.action.startswith("report.return")]
    assert [(event.action, event.object_id, audit_label(event)) for event in returns] == [
        ("report.return_part_by_supervisor", str(fgw.pk), "督查退回单位报告")
    ]
