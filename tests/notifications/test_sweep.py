"""The sweep on the real database: what it watches, what it writes, exactly once, and what it does with a change made
meanwhile, a poison row, a long downtime and a message that no longer stands by the time it is delivered.

The world (tests/workflow/conftest.py): task 1.1 led by 市经济信息委 (alice reporter, carol head) with parts of
市发展改革委 (bob, dave) and 市科技局 (erin, frank); its milestone "2025" is due Tuesday 30 September 2025, so its
overdue ladder crosses the National Day holiday: 催办 Thu 9 Oct, 督办 Fri 17 Oct, 约谈 Wed 29 Oct.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import channels, outbox, planner, selectors, services, sweep
from notifications.channels import ChannelError
from notifications.models import Delivery, Endpoint, Notification, Preference, ReminderPolicy, Watch
from tasks import services as register
from tasks.models import Milestone, Plan, Report
from tests.factories import make_milestone, make_task
from tests.notifications.conftest import at, received, tick
from tests.support import submit_report
from units.models import Membership

pytestmark = pytest.mark.django_db


def watch_of(milestone: Milestone) -> Watch:
    return Watch.objects.get(milestone=milestone)


# --- what is watched ------------------------------------------------------------------------------------------------


def test_reconcile_watches_the_open_items_no_signal_brought_in(world):
    done = make_milestone(world.task, "done", date(2025, 6, 30), status=Milestone.Status.DONE,
                          completed_date=date(2025, 6, 29))
    assert services.watches_reconcile(now=at("2025-09-01 09:00")) == 1
    assert list(Watch.objects.values_list("milestone_id", flat=True)) == [world.milestone.pk]
    assert not Watch.objects.filter(milestone=done).exists()
    assert services.watches_reconcile(now=at("2025-09-01 09:01")) == 0  # idempotent


def test_opening_a_round_watches_its_reports_and_a_move_touches_them(world):
    round_ = world.open_round()
    reports = set(Report.objects.filter(round=round_).values_list("pk", flat=True))
    assert set(Watch.objects.filter(report__isnull=False).values_list("report_id", flat=True)) == reports
    part = world.part(round_, "市发展改革委")
    Watch.objects.filter(report=part).update(next_reminder_at=None, planned_until=at("2025-09-01 09:00"),
                                             is_open=False)
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    watch = Watch.objects.get(report=part)
    assert watch.is_open and watch.planned_until is None and watch.next_reminder_at is not None


def test_moving_a_milestone_touches_its_watch(world):
    services.watches_reconcile(now=at("2025-09-01 09:00"))
    Watch.objects.update(planned_until=at("2025-09-01 09:00"), next_reminder_at=at("2025-09-23 08:30"))
    register.milestone_update(actor=world["sam"], milestone=world.milestone, changes={"due_date": date(2025, 11, 14)},
                              reason="调整")
    watch = watch_of(world.milestone)
    assert watch.planned_until is None and watch.next_reminder_at <= watch.touched_at


# --- what is written, exactly once ----------------------------------------------------------------------------------


def test_the_sweep_writes_each_occasion_once_and_moves_the_watch_on(world):
    services.watches_reconcile(now=at("2025-09-01 09:00"))
    planned, _ = tick(at("2025-09-01 09:00"))
    assert (planned.planned, planned.notified) == (1, 0)
    assert watch_of(world.milestone).next_reminder_at == at("2025-09-23 08:30")
    planned, delivered = tick(at("2025-09-23 08:30"))
    assert (planned.notified, delivered.sent) == (1, 1)
    assert received("alice") == [("reminder", "milestone:T-7:2025-09-30")]
    assert watch_of(world.milestone).next_reminder_at == at("2025-09-27 08:30")
    assert tick(at("2025-09-23 08:31"))[0].planned == 0  # nothing due: nothing claimed
    # A touch forgets what was handled; the re-plan finds the same occasion, and its key writes it once.
    services.watches_touch_milestones(plan_id=world.plan.pk, task_ids=None, now=at("2025-09-23 09:00"))
    planned, _ = tick(at("2025-09-23 09:00"))
    assert (planned.planned, planned.notified) == (1, 0)
    assert Notification.objects.count() == Delivery.objects.count() == 1


def test_a_message_reads_as_what_it_is(world):
    services.watches_reconcile(now=at("2025-10-09 08:30"))
    tick(at("2025-10-09 08:30"))
    chase = Notification.objects.get(recipient=world["jxw-h"])
    assert chase.title == "【催办】节点已逾期 1 个工作日：1.1 任务 1.1 · 节点 2025"
    assert chase.body == "市经济信息委 · 截止 2025-09-30\n请尽快办理。本催办同时发给经办人和单位负责人。"
    assert (chase.kind, chase.level, chase.role, chase.unit.short_name) == ("chase", 1, "head", "市经济信息委")
    assert chase.url == "/plans/wf/tasks/1.1/" and chase.milestone == world.milestone and not chase.illustrative
    head = world["jxw-h"].pk
    assert chase.key == f"milestone:{world.milestone.pk}|user:{head}|chase|milestone:overdue-1wd:2025-09-30"


def test_a_sweep_after_downtime_sends_each_person_the_current_rung_only(world):
    services.watches_reconcile(now=at("2025-09-01 09:00"))
    tick(at("2025-09-01 09:00"))
    tick(at("2025-10-20 10:00"))  # nobody swept from 1 September to 20 October
    assert received("alice") == [("chase", "milestone:overdue-1wd:2025-09-30")]
    assert received("carol") == [("supervise", "milestone:overdue-8wd:2025-09-30")]
    assert received("sam") == [("supervise", "milestone:overdue-8wd:2025-09-30")]
    assert received("leo") == []
    assert watch_of(world.milestone).next_reminder_at == at("2025-10-29 08:30")


def test_a_closed_subject_closes_its_watch_and_sends_nothing(world):
    services.watches_reconcile(now=at("2025-09-01 09:00"))
    Milestone.objects.filter(pk=world.milestone.pk).update(status=Milestone.Status.DONE,
                                                           completed_date=date(2025, 9, 20))
    planned, _ = tick(at("2025-09-01 09:00"))
    assert (planned.closed, planned.notified) == (1, 0)
    watch = watch_of(world.milestone)
    assert not watch.is_open and watch.next_reminder_at is None
    assert services.watches_reconcile(now=at("2025-09-01 10:00")) == 0  # done stays unwatched


def test_a_plan_set_back_to_draft_is_not_chased(world):
    services.watches_reconcile(now=at("2025-10-09 08:30"))
    Plan.objects.filter(pk=world.plan.pk).update(status=Plan.Status.DRAFT)
    assert tick(at("2025-10-09 08:30"))[0].closed == 1 and Notification.objects.count() == 0


def test_the_admins_policy_is_the_one_the_sweep_uses(world):
    ReminderPolicy.objects.create(days_before="2", on_due_day=False)
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    tick(at("2025-09-23 08:30"))
    assert received("alice") == []
    assert watch_of(world.milestone).next_reminder_at == at("2025-09-28 08:30")


# --- report steps ---------------------------------------------------------------------------------------------------


def test_each_report_step_reminds_whoever_acts_on_it_now(world, time_machine):
    time_machine.move_to(at("2025-09-20 10:00"))
    round_ = world.open_round(due=date(2025, 10, 10))
    tick(at("2025-10-03 08:30"))  # T-7 (a holiday: calendar days)
    assert received("bob") == [("reminder", "fill:T-7:2025-10-10")]
    assert received("erin") == [("reminder", "fill:T-7:2025-10-10")]
    assert received("alice") == received("dave") == []  # the task report waits for its parts: nobody's turn
    time_machine.move_to(at("2025-10-06 11:00"))
    part = world.part(round_, "市发展改革委")
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    tick(at("2025-10-06 11:01"))  # the head's sign-off step: its current reminder (T-7) at once
    assert received("dave") == [("reminder", "sign_off:T-7:2025-10-10")]
    tick(at("2025-10-07 08:30"))  # T-3
    assert received("dave")[-1] == ("reminder", "sign_off:T-3:2025-10-10")
    assert received("bob")[-1] == ("reminder", "fill:T-7:2025-10-10")  # bob's step is over
    assert received("erin")[-1] == ("reminder", "fill:T-3:2025-10-10")


# --- a change, a poison row, another worker -------------------------------------------------------------------------


def test_a_change_made_while_a_watch_is_planned_is_planned_again(world, monkeypatch):
    services.watches_reconcile(now=at("2025-09-01 09:00"))
    real = sweep.subjects.milestone_subjects

    def touched_meanwhile(ids):
        services.watches_touch_milestones(plan_id=world.plan.pk, task_ids=None, now=at("2025-09-23 08:31"))
        return real(ids)

    monkeypatch.setattr(sweep.subjects, "milestone_subjects", touched_meanwhile)
    sweep.reminders_sweep(now=at("2025-09-23 08:30"))
    watch = watch_of(world.milestone)
    assert watch.next_reminder_at == at("2025-09-23 08:31") and watch.planned_until is None  # not overwritten


def test_one_poison_row_is_logged_and_put_off_and_the_others_go_on(world, monkeypatch, caplog):
    other = make_milestone(make_task(world.plan, "1.2", parent=world.task.parent), "b", date(2025, 9, 30))
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    real = planner.plan

    def poisoned(item, policy, *, as_of, since=None):
        if item.due_date == date(2025, 9, 30) and item.unit_ids and len(calls) == 0:
            calls.append(item)
            raise RuntimeError("bad row")
        return real(item, policy, as_of=as_of, since=since)

    calls: list = []
    monkeypatch.setattr(sweep.planner, "plan", poisoned)
    result = sweep.reminders_sweep(now=at("2025-09-23 08:30"))
    assert (result.planned, result.failed, result.notified) == (1, 1, 1)
    bad, good = sorted(Watch.objects.all(), key=lambda watch: -watch.failures)
    assert bad.failures == 1 and "RuntimeError: bad row" in bad.last_error
    assert bad.next_reminder_at == at("2025-09-23 09:00")  # put off 30 minutes, doubling at each failure
    assert good.failures == 0 and good.next_reminder_at == at("2025-09-27 08:30")
    assert "could not be planned" in caplog.text
    assert {watch.milestone_id for watch in (bad, good)} == {world.milestone.pk, other.pk}


def test_a_batch_the_database_refuses_is_written_watch_by_watch(world, monkeypatch):
    make_milestone(make_task(world.plan, "1.2", parent=world.task.parent), "b", date(2025, 9, 30))
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    real = sweep._write

    def refuse_batches(outcomes, *, now):
        if len(outcomes) > 1:
            from django.db import DatabaseError
            raise DatabaseError("batch refused")
        return real(outcomes, now=now)

    monkeypatch.setattr(sweep, "_write", refuse_batches)
    result = sweep.reminders_sweep(now=at("2025-09-23 08:30"))
    assert (result.planned, result.notified, result.failed) == (2, 2, 0)


def test_a_message_already_written_is_skipped_by_the_insert_and_gets_no_second_delivery(world):
    """There is no check before the insert that another sweep could slip past: the INSERT itself skips a key that
    exists (``ON CONFLICT DO NOTHING``) and returns only the rows it wrote, and only those get deliveries."""
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    tick(at("2025-09-23 08:30"))
    services.watches_touch_milestones(plan_id=world.plan.pk, task_ids=None, now=at("2025-09-23 08:40"))
    result = sweep.reminders_sweep(now=at("2025-09-23 08:40"))  # plans the same occasion again: the same key
    assert (result.planned, result.notified, result.failed) == (1, 0, 0)  # no error, nothing new
    assert Notification.objects.count() == Delivery.objects.count() == 1


def test_a_sweep_that_dies_mid_batch_leaves_nothing_written_and_its_watches_due_at_once(world, monkeypatch):
    """The batch is one transaction: what it claimed comes back at the very next tick, with nothing half-written
    (no lease to wait out)."""
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    real = sweep._write_back

    def die(outcomes, *, now):
        real(outcomes, now=now)  # the watch moved on, the messages written: then the worker dies
        raise SystemExit("killed")

    monkeypatch.setattr(sweep, "_write_back", die)
    with pytest.raises(SystemExit):
        sweep.reminders_sweep(now=at("2025-09-23 08:30"))
    assert not Notification.objects.exists() and not Delivery.objects.exists()
    assert Watch.objects.filter(next_reminder_at__lte=at("2025-09-23 08:30")).count() == 1
    monkeypatch.setattr(sweep, "_write_back", real)
    result = sweep.reminders_sweep(now=at("2025-09-23 08:31"))
    assert (result.planned, result.notified) == (1, 1)


def test_a_sweep_costs_the_same_queries_for_5_watches_and_for_300(world):
    """A batch reads and writes in bulk: the same statements whatever its size. The messages and their deliveries
    go in by one ``executemany`` each (``tasks.bulk.insert``: Django logs it as one query, "N times: INSERT …")."""

    def run(n: int, day: str) -> tuple[int, int]:
        task = make_task(world.plan, f"9.{n}", parent=world.task.parent)
        for k in range(n):
            make_milestone(task, f"m{k}", date(2025, 9, 30))
        services.watches_reconcile(now=at(f"{day} 08:00"))
        with CaptureQueriesContext(connection) as queries:
            result = sweep.reminders_sweep(now=at(f"{day} 08:30"))
        assert result.batches == 1 and result.notified >= 2 * n  # a reporter and a head, and the supervisor
        Watch.objects.update(is_open=False)
        inserts = sum("INSERT INTO" in query["sql"] for query in queries.captured_queries)
        return len(queries) - inserts, inserts

    (few, few_inserts), (many, many_inserts) = run(5, "2025-10-17"), run(300, "2025-10-20")
    assert few == many
    assert few_inserts == many_inserts == 2


# --- delivery -------------------------------------------------------------------------------------------------------


def test_a_message_is_delivered_in_app_once_and_shows_in_the_list(world):
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    sweep.reminders_sweep(now=at("2025-09-23 08:30"))
    assert selectors.unread_count(user=world["jxw-r"]) == 0  # written, not yet delivered
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("in_app", "pending", 0)
    assert outbox.deliveries_send(now=at("2025-09-23 08:30")).sent == 1
    assert outbox.deliveries_send(now=at("2025-09-23 08:31")).sent == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 1, at("2025-09-23 08:30"))
    assert selectors.unread_count(user=world["jxw-r"]) == 1


@pytest.mark.parametrize("change", ["done", "revoked", "inactive", "step passed"])
def test_a_message_that_no_longer_stands_is_cancelled_not_delivered(world, change, time_machine):
    time_machine.move_to(at("2025-09-20 10:00"))
    round_ = world.open_round(due=date(2025, 10, 10))
    services.watches_reconcile(now=at("2025-10-03 08:30"))
    sweep.reminders_sweep(now=at("2025-10-03 08:30"))
    bob = world["fgw-r"]
    mine = Delivery.objects.get(notification__recipient=bob, notification__report__isnull=False)
    if change == "done":
        Report.objects.filter(pk=mine.notification.report_id).update(status=Report.Status.SIGNED_OFF)
    elif change == "revoked":
        Membership.objects.filter(user=bob).delete()
    elif change == "inactive":
        type(bob).objects.filter(pk=bob.pk).update(is_active=False)
    else:
        submit_report(actor=bob, report_id=world.part(round_, "市发展改革委").pk)
    outbox.deliveries_send(now=at("2025-10-03 08:30"))
    mine.refresh_from_db()
    assert (mine.status, mine.sent_at) == ("cancelled", None)
    assert Delivery.objects.filter(status="sent").count() >= 1  # erin's went out


class Flaky:
    name = "flaky"

    def __init__(self, permanent: bool) -> None:
        self.permanent = permanent

    def send(self, delivery, endpoint):
        raise ChannelError("robot said no", permanent=self.permanent)


@pytest.mark.parametrize("permanent", [False, True])
def test_a_failing_channel_is_retried_with_backoff_or_given_up(world, monkeypatch, permanent):
    monkeypatch.setitem(channels.REGISTRY, "webhook", Flaky(permanent))
    Endpoint.objects.create(user=world["jxw-r"], channel="webhook", address="http://127.0.0.1:9/hook", secret="s")
    Preference.objects.create(user=world["jxw-r"], kind="reminder", channel="webhook", immediate=True)
    services.watches_reconcile(now=at("2025-09-23 08:30"))
    sweep.reminders_sweep(now=at("2025-09-23 08:30"))
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"in_app", "webhook"}
    result = outbox.deliveries_send(now=at("2025-09-23 08:30"))
    flaky = Delivery.objects.get(channel="webhook")
    assert flaky.last_error == "robot said no"
    assert result.sent == (2 if permanent else 1)  # a permanent error also tells the endpoint's owner, in-app
    if permanent:
        assert (flaky.status, flaky.next_attempt_at) == ("permanent", None)
        return
    assert (flaky.status, flaky.next_attempt_at) == ("failed", at("2025-09-23 08:31"))
    for minute in range(31, 31 + 200):  # 1, 2, 4 … minutes apart until MAX_ATTEMPTS
        outbox.deliveries_send(now=at("2025-09-23 08:30") + timedelta(minutes=minute - 30))
    flaky.refresh_from_db()
    assert (flaky.status, flaky.attempts) == ("permanent", outbox.MAX_ATTEMPTS)


def test_the_sweep_job_starts_a_helper_per_further_batch_due_on_postgresql_only(world, settings, monkeypatch,
                                                                                time_machine):
    """More than a batch due: on PostgreSQL the job starts helpers (at most ``LUOSHI_REMINDER_SWEEP_HELPERS``) that
    sweep beside it (here, in eager mode, before it); on SQLite none, one writer at a time. Either way every watch is
    planned once."""
    from notifications import jobs

    task = make_task(world.plan, "9.1", parent=world.task.parent)
    for k in range(24):
        make_milestone(task, f"m{k}", date(2025, 9, 30))
    services.watches_reconcile(now=at("2025-10-17 08:00"))
    monkeypatch.setattr(sweep, "BATCH_SIZE", 10)  # 25 due: three batches
    settings.REMINDER_SWEEP_HELPERS = 5
    postgresql = connection.features.has_select_for_update_skip_locked
    assert sweep.helpers_wanted(now=at("2025-10-17 08:30"), most=5, batch_size=10) == (2 if postgresql else 0)
    assert sweep.helpers_wanted(now=at("2025-10-17 08:30"), most=1, batch_size=10) == (1 if postgresql else 0)
    assert sweep.helpers_wanted(now=at("2025-10-17 08:30"), most=5, batch_size=25) == 0  # one batch: alone
    assert sweep.helpers_wanted(now=at("2025-10-17 07:00"), most=5, batch_size=10) == 0  # nothing due yet

    time_machine.move_to(at("2025-10-17 08:30"), tick=False)
    done = jobs.reminders_sweep_job.delay().get()
    assert done["helpers"] == (2 if postgresql else 0)
    assert Notification.objects.count() == 3 * 25  # the reporter's 催办, the head's and the supervisor's 督办
    assert not Watch.objects.filter(next_reminder_at__lte=at("2025-10-17 08:30")).exists()
