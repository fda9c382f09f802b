"""Two people (or two workers) acting at the same moment, on PostgreSQL with real row locks.

Each test runs its contenders in threads with their own database connections, released together by a
barrier, against committed data (``transactional_db``). SQLite serialises writers at BEGIN IMMEDIATE, so
these races only mean something on PostgreSQL: elsewhere the tests skip (and fail under CI=true).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient
from viewflow.workflow.models import Process
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.status import PROCESS, STATUS

from tasks.models import AuditEvent, IndicatorValue, Milestone, Report, ReportingRound
from tests.conftest import make_user
from tests.factories import make_task
from tests.support import require, submit_report
from tests.workflow.conftest import UNITS, World, fill_and_sign
from units.models import Membership
from workflow import services
from workflow.flows import ReportFlow

S = Report.Status
ACTIVE = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def require_postgresql() -> None:
    require(connection.vendor == "postgresql",
            f"needs PostgreSQL row locks (DATABASE_URL=postgresql://…); this run uses {connection.vendor}")


@pytest.fixture(autouse=True)
def _postgresql_and_committed_units(request: pytest.FixtureRequest) -> None:
    require_postgresql()
    request.getfixturevalue("committed_units")


def at_once(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run each call in its own thread and connection, released together; return results or raised errors."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def contender(n: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the barrier releases the work itself
            barrier.wait(timeout=timeout)
            outcomes[n] = call()
        except BaseException as exc:  # the test judges every outcome
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=contender, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a contender hung (deadlock?)"
    return outcomes


def active_steps(process: Process, step: str) -> int:
    """How many tasks of one node are open in a process (a stuck or doubled flow shows here)."""
    return FlowTask.objects.filter(process=process, flow_task=getattr(ReportFlow, step), status__in=ACTIVE).count()


def test_two_supervisors_approving_at_once_get_one_200_and_one_409_and_the_milestone_is_applied_once(
        transactional_db: None, world: World) -> None:
    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "14.5"}],
                  milestone_claims=[{"milestone": world.milestone.pk, "completed_date": "2025-09-28"}])
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    clients = {}
    for supervisor in (world["sam"], sue):
        clients[supervisor.username] = APIClient()
        clients[supervisor.username].force_login(supervisor)
    url = f"/api/reports/{task_report.pk}/approve/"

    responses = at_once(*(lambda client=client: client.post(url, {}, format="json") for client in clients.values()))

    assert sorted(r.status_code for r in responses) == [200, 409], responses
    winner = next(name for name, r in zip(clients, responses, strict=True) if r.status_code == 200)
    approved = world.task_report(round_)
    assert approved.status == S.APPROVED and approved.approved_by.username == winner
    world.milestone.refresh_from_db()
    assert world.milestone.status == Milestone.Status.DONE and world.milestone.completion_report_id == approved.pk
    assert IndicatorValue.objects.filter(indicator=world.indicator).count() == 1
    actions = list(AuditEvent.objects.filter(task=world.task).values_list("action", flat=True))
    assert actions.count("report.approve") == 1 and actions.count("report.apply") == 1
    assert Process.objects.get().status == PROCESS.DONE


def test_two_units_signing_off_at_once_both_succeed_and_join_once(transactional_db: None, world: World) -> None:
    tasks = [world.task] + [
        make_task(world.plan, f"1.{n}", parent=world.task.parent, responsible=(UNITS["fgw"], UNITS["kjj"]))
        for n in range(2, 6)
    ]
    round_ = world.open_round()
    for task in tasks:  # five races, one per task
        parts = [world.part(round_, UNITS[key], task=task) for key in ("fgw", "kjj")]
        for key, part in zip(("fgw", "kjj"), parts, strict=True):
            submit_report(actor=world[f"{key}-r"], report_id=part.pk)

        outcomes = at_once(*(
            lambda key=key, part=part: services.report_sign_off(actor=world[f"{key}-h"], report_id=part.pk)
            for key, part in zip(("fgw", "kjj"), parts, strict=True)
        ))

        # The second waits for the first one's lock on the task report instead of failing: no 409 for a race
        # the user cannot see, and exactly one of them opens the consolidation.
        assert all(isinstance(o, Report) for o in outcomes), (task.code, outcomes)
        assert {Report.objects.get(pk=p.pk).status for p in parts} == {S.SIGNED_OFF}
        task_report = world.task_report(round_, task=task)
        assert task_report.status == S.CONSOLIDATING, task.code
        process = FlowTask.objects.get(pk=task_report.flow_task_id).process
        assert active_steps(process, "consolidate") == 1, task.code
        opened = AuditEvent.objects.filter(action="report.parts_ready", object_id=str(task_report.pk))
        assert opened.count() == 1, task.code
        assert task_report.revisions.filter(action="parts_ready").count() == 1, task.code


def test_a_double_click_on_sign_off_signs_off_once_and_the_loser_changes_nothing(
        transactional_db: None, world: World) -> None:
    round_ = world.open_round()
    fill_and_sign(world, round_, "kjj")
    part = world.part(round_, UNITS["fgw"])
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    part.refresh_from_db()
    fgw_h2 = make_user("fgw-h2", (UNITS["fgw"], Membership.Role.HEAD))

    outcomes = at_once(lambda: services.report_sign_off(actor=world["fgw-h"], report_id=part.pk, version=part.version),
                       lambda: services.report_sign_off(actor=fgw_h2, report_id=part.pk, version=part.version))

    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Report"], outcomes
    winner = next(o for o in outcomes if isinstance(o, Report))
    signed = Report.objects.get(pk=part.pk)
    assert signed.status == S.SIGNED_OFF and signed.signed_off_by_id == winner.signed_off_by_id
    assert signed.version == part.version + 1
    assert signed.revisions.filter(action="sign_off").count() == 1
    assert AuditEvent.objects.filter(action="report.sign_off", unit__short_name=UNITS["fgw"]).count() == 1
    task_report = world.task_report(round_)
    assert task_report.status == S.CONSOLIDATING
    assert active_steps(FlowTask.objects.get(pk=task_report.flow_task_id).process, "consolidate") == 1
    assert AuditEvent.objects.filter(action="report.parts_ready").count() == 1


def test_another_worker_opening_the_same_round_at_once_starts_each_process_once(
        transactional_db: None, world: World) -> None:
    tasks = [world.task] + [
        make_task(world.plan, f"1.{n}", parent=world.task.parent, responsible=(UNITS["fgw"],)) for n in range(2, 13)
    ]
    # The state round_open leaves behind before its job runs (the job itself is what races here).
    round_ = ReportingRound.objects.create(
        plan=world.plan, period="2025-Q3", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30),
        due_date=date(2025, 10, 10), opened_by=world["sam"], tasks_total=len(tasks))

    outcomes = at_once(lambda: services.round_open_run(round_id=round_.pk, chunk=5),
                       lambda: services.round_open_run(round_id=round_.pk, chunk=5))

    assert all(isinstance(o, ReportingRound) for o in outcomes), outcomes
    round_.refresh_from_db()
    assert (round_.status, round_.tasks_opened, round_.tasks_total) == ("open", 12, 12)
    task_reports = Report.objects.filter(round=round_, kind=Report.Kind.TASK)
    assert sorted(task_reports.values_list("task_id", flat=True)) == sorted(t.pk for t in tasks)
    assert Report.objects.filter(round=round_, kind=Report.Kind.PART).count() == 2 + 11
    assert Process.objects.count() == 12
    assert sorted(Process.objects.values_list("data__task_report", flat=True)) == sorted(
        task_reports.values_list("pk", flat=True))


def test_two_supervisors_opening_the_same_round_at_once_get_one_round_and_no_error(
        transactional_db: None, world: World) -> None:
    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    outcomes = at_once(*(
        lambda who=who: services.round_open(actor=who, plan=world.plan, period="2025-Q3", due_date=date(2025, 10, 10))
        for who in (world["sam"], sue)
    ))
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert sorted(created for _round, created in outcomes) == [False, True]
    assert len({round_.pk for round_, _created in outcomes}) == 1
    assert ReportingRound.objects.count() == 1
    assert AuditEvent.objects.filter(action="round.open").count() == 1


def _consolidated(world: World) -> tuple[ReportingRound, Report]:
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    return round_, world.task_report(round_)


def test_the_lead_unit_submitting_its_consolidation_twice_at_once_moves_it_once(
        transactional_db: None, world: World) -> None:
    _round, task_report = _consolidated(world)
    outcomes = at_once(lambda: submit_report(actor=world["jxw-r"], report_id=task_report.pk),
                       lambda: submit_report(actor=world["jxw-h"], report_id=task_report.pk))
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Report"], outcomes
    moved = Report.objects.get(pk=task_report.pk)
    assert moved.status == S.LEAD_SIGN_OFF and moved.version == task_report.version + 1
    process = FlowTask.objects.get(pk=moved.flow_task_id).process
    assert active_steps(process, "lead_sign_off") == 1 and active_steps(process, "consolidate") == 0


def test_the_lead_heads_sign_off_and_return_at_once_one_wins_and_the_flow_follows_it(
        transactional_db: None, world: World) -> None:
    _round, task_report = _consolidated(world)
    version = submit_report(actor=world["jxw-r"], report_id=task_report.pk).version
    jxw_h2 = make_user("jxw-h2", (UNITS["jxw"], Membership.Role.HEAD))
    # Both send the version they read, as the report page does: the loser is told the report moved on (409).
    outcomes = at_once(
        lambda: services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk, version=version),
        lambda: services.report_return(actor=jxw_h2, report_id=task_report.pk, reason="口径不一致", version=version),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Report"], outcomes
    moved = Report.objects.get(pk=task_report.pk)
    process = FlowTask.objects.get(pk=moved.flow_task_id).process
    expected_step = {S.IN_REVIEW: "review", S.CONSOLIDATING: "consolidate"}[moved.status]
    assert active_steps(process, expected_step) == 1
    assert FlowTask.objects.filter(process=process, status__in=ACTIVE).count() == 1


def test_a_supervisor_approving_while_another_returns_one_part_leaves_one_consistent_outcome(
        transactional_db: None, world: World) -> None:
    round_, task_report = _consolidated(world)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    part = world.part(round_, UNITS["kjj"])
    outcomes = at_once(
        lambda: services.report_approve(actor=world["sam"], report_id=task_report.pk),
        lambda: services.report_return(actor=sue, report_id=task_report.pk, reason="科技局数据有误", part_id=part.pk),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Report"], outcomes
    after = Report.objects.get(pk=task_report.pk)
    parts = set(Report.objects.filter(task_report=after).values_list("status", flat=True))
    if after.status == S.APPROVED:
        assert parts == {S.APPROVED}
    else:
        assert after.status == S.WAITING and Report.objects.get(pk=part.pk).status == S.DRAFT
        assert not Milestone.objects.filter(status=Milestone.Status.DONE).exists()


def test_the_last_sign_off_and_a_lead_return_lock_only_reports_not_the_rounds_row(
        transactional_db: None, world: World) -> None:
    """The task report is locked with its round joined for reading: only the report row may be locked, or every
    sign-off of a round (and its opening job) would queue on one row."""
    round_ = world.open_round()
    fill_and_sign(world, round_, "kjj")
    part = world.part(round_, UNITS["fgw"])
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    held, release = threading.Event(), threading.Event()

    def hold_the_round() -> None:
        try:
            with transaction.atomic():
                ReportingRound.objects.select_for_update().get(pk=round_.pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_round)
    holder.start()

    def promptly(call: Callable[[], Any]) -> None:
        # Each call in its own transaction, as a request: waiting on the round's row would time out.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            call()

    try:
        assert held.wait(10)
        promptly(lambda: services.report_sign_off(actor=world["fgw-h"], report_id=part.pk))
        promptly(lambda: services.report_return(actor=world["jxw-r"], report_id=part.pk, reason="缺少佐证"))
    finally:
        release.set()
        holder.join(30)
    assert world.task_report(round_).status == S.WAITING and world.part(round_, UNITS["fgw"]).status == S.DRAFT
