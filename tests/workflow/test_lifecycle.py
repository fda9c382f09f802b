"""The lifecycle table, the rules read from it, and the engine's state machine declared from it."""

from __future__ import annotations

from datetime import date

import pytest
from viewflow.fsm import TransitionNotAllowed

from tasks import lifecycle
from tasks.lifecycle import TABLE, Action, Kind, Status, Step
from tasks.models import Report, ReportingRound
from tests.factories import make_plan, make_task
from units.models import Unit
from workflow.machine import ReportMachine


def test_every_step_waits_in_one_status_and_every_move_leads_to_a_status_of_the_same_kind() -> None:
    assert set(lifecycle.STEP_STATUS) == set(Step)
    assert len(set(lifecycle.STEP_STATUS.values())) == len(Step)
    for (kind, _status), stage in TABLE.items():
        assert (stage.step is None) == (not stage.verb)
        for target in stage.moves.values():
            assert (kind, target) in TABLE, (kind, target)


# (kind, status, action) → the next status, or None when the table has no such move.
MOVES = [
    (Kind.PART, Status.DRAFT, Action.SUBMIT, Status.SUBMITTED),
    (Kind.PART, Status.DRAFT, Action.SIGN_OFF, None),
    (Kind.PART, Status.SUBMITTED, Action.SIGN_OFF, Status.SIGNED_OFF),
    (Kind.PART, Status.SUBMITTED, Action.RETURN, Status.DRAFT),
    (Kind.PART, Status.SIGNED_OFF, Action.RETURN, Status.DRAFT),
    (Kind.PART, Status.SIGNED_OFF, Action.APPROVE, None),
    (Kind.PART, Status.APPROVED, Action.RETURN, None),
    (Kind.TASK, Status.WAITING, Action.SUBMIT, None),
    (Kind.TASK, Status.CONSOLIDATING, Action.SUBMIT, Status.LEAD_SIGN_OFF),
    (Kind.TASK, Status.LEAD_SIGN_OFF, Action.SIGN_OFF, Status.IN_REVIEW),
    (Kind.TASK, Status.LEAD_SIGN_OFF, Action.RETURN, Status.CONSOLIDATING),
    (Kind.TASK, Status.IN_REVIEW, Action.APPROVE, Status.APPROVED),
    (Kind.TASK, Status.IN_REVIEW, Action.RETURN, Status.CONSOLIDATING),
    (Kind.TASK, Status.APPROVED, Action.RETURN, None),
]


@pytest.mark.parametrize(("kind", "status", "action", "expected"), MOVES)
def test_the_table_and_the_engines_state_machine_agree_on_every_move(kind, status, action, expected) -> None:
    assert lifecycle.next_status(kind, status, action) == expected
    report = Report(kind=kind, status=status)
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            ReportMachine(report).move(action)
        assert report.status == status, "a refused move changes nothing"
    else:
        assert ReportMachine(report).move(action) == expected


def test_without_the_lead_heads_sign_off_consolidation_goes_straight_to_review() -> None:
    target = lifecycle.next_status(Kind.TASK, Status.CONSOLIDATING, Action.SUBMIT, lead_sign_off=False)
    assert target == Status.IN_REVIEW
    report = Report(kind=Kind.TASK, status=Status.CONSOLIDATING)
    assert ReportMachine(report, lead_sign_off=False).move(Action.SUBMIT) == Status.IN_REVIEW


RETURNED = [  # (kind, status, times returned) → returned?
    (Kind.PART, Status.DRAFT, 0, False),
    (Kind.PART, Status.DRAFT, 1, True),
    (Kind.PART, Status.SUBMITTED, 1, False),
    (Kind.TASK, Status.CONSOLIDATING, 2, True),
    (Kind.TASK, Status.CONSOLIDATING, 0, False),
    (Kind.TASK, Status.IN_REVIEW, 1, False),
    (Kind.TASK, Status.WAITING, 1, False),
]


def test_returned_has_one_definition_and_its_sql_twin_agrees(db) -> None:
    plan = make_plan("lc")
    unit = Unit.objects.get(short_name="市经济信息委")
    round_ = ReportingRound.objects.create(plan=plan, period="2025-Q3", period_start=date(2025, 7, 1),
                                           period_end=date(2025, 9, 30), due_date=date(2025, 10, 10))
    expected = set()
    for n, (kind, status, times, returned) in enumerate(RETURNED):
        task = make_task(plan, f"9.{n}", lead="市经济信息委")
        task_report = Report.objects.create(round=round_, task=task, unit=unit, kind=Kind.TASK,
                                            status=Status.WAITING, due_date=round_.due_date)
        report = task_report if kind == Kind.TASK else Report.objects.create(
            round=round_, task=task, unit=unit, kind=Kind.PART, task_report=task_report, status=status,
            due_date=round_.due_date)
        Report.objects.filter(pk=report.pk).update(status=status, times_returned=times)
        report.refresh_from_db()
        assert report.is_returned is returned, (kind, status, times)
        if returned:
            expected.add(report.pk)
    assert set(Report.objects.filter(lifecycle.returned_q()).values_list("pk", flat=True)) == expected
