"""The daily digest on the real database: who gets one and what it lists, exactly once per person per day, on every
channel they enabled.

The world (tests/workflow/conftest.py): milestone "2025" of task 1.1 (lead 市经济信息委: alice reporter, carol head)
is due Tuesday 30 September 2025; task 1.1 has parts of 市发展改革委 (bob, dave) and 市科技局 (erin, frank).
"""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import digests, outbox
from notifications.models import Delivery, Endpoint, Notification, QuietHours
from notifications.planner import ItemKind
from tasks.models import Report
from tests.notifications.conftest import at
from tests.support import submit_report
from workflow import services as workflow

pytestmark = pytest.mark.django_db


def digest_of(user) -> Notification:
    return Notification.objects.get(recipient=user, kind="digest")


@pytest.mark.parametrize(("kind", "due", "returned", "section"), [
    (ItemKind.MILESTONE, date(2025, 9, 30), False, "due_soon"),  # 7 days ahead: still in
    (ItemKind.MILESTONE, date(2025, 10, 1), False, None),  # 8 days ahead: not yet
    (ItemKind.FILL, date(2025, 9, 23), False, "due_today"),
    (ItemKind.SIGN_OFF, date(2025, 9, 22), False, "overdue"),
    (ItemKind.FILL, date(2025, 10, 10), True, "returned"),  # a return comes first, whatever the due date
    (ItemKind.REVIEW, None, False, "review"),
    (ItemKind.CONSOLIDATE, None, False, None),
])
def test_the_section_of_an_item(kind, due, returned, section):
    assert digests.section_of(kind=kind, due_date=due, returned=returned, today=date(2025, 9, 23)) == section


def test_only_people_with_something_in_it_get_a_digest_and_only_once_a_day(world):
    assert digests.digests_write(now=at("2025-09-23 08:30")) == 1
    digest = digest_of(world["jxw-r"])
    assert digest.title == "【每日汇总】2025-09-23：7 天内到期 1 项"
    assert digest.body == "7 天内到期（1）\n· 1.1 任务 1.1 · 节点 2025（节点，截止 2025-09-30）"
    assert (digest.url, digest.slot) == ("/inbox/", "digest:2025-09-23")
    assert digests.digests_write(now=at("2025-09-23 08:31")) == 0  # a second run the same day writes nothing
    assert digests.digests_write(now=at("2025-09-23 20:00")) == 0
    assert digests.digests_write(now=at("2025-09-24 08:30")) == 1  # the next day, the next one
    assert Notification.objects.filter(kind="digest").count() == 2
    assert Delivery.objects.filter(notification__kind="digest").count() == 2  # in-app only: no endpoint


def test_a_digest_another_worker_wrote_first_is_skipped_by_the_insert_itself(world):
    Endpoint.objects.create(user=world["jxw-r"], channel="email", address="alice@example.gov.cn")
    assert digests.digests_write(now=at("2025-09-23 08:30")) == 1
    assert digests.digests_write(now=at("2025-09-23 08:30")) == 0  # the same moment again: the unique key skips it
    assert digests.digests_write(now=at("2025-09-23 08:35")) == 0
    assert Notification.objects.filter(kind="digest").count() == 1
    assert Delivery.objects.filter(notification__kind="digest").count() == 2  # in-app and e-mail, once each


def test_a_day_with_nothing_due_soon_writes_no_digest(world):
    assert digests.digests_write(now=at("2025-09-01 08:30")) == 0
    assert not Notification.objects.exists()


def test_the_digest_lists_what_was_returned_to_you_and_what_waits_for_your_review(world, time_machine):
    time_machine.move_to(at("2025-09-20 10:00"))
    round_ = world.open_round(due=date(2025, 10, 10))
    part = world.part(round_, "市发展改革委")
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    workflow.report_return(actor=world["fgw-h"], report_id=part.pk, reason="数据不全")
    Report.objects.filter(pk=world.task_report(round_).pk).update(status=Report.Status.IN_REVIEW)
    digests.digests_write(now=at("2025-10-03 08:30"))
    bob = digest_of(world["fgw-r"])
    assert bob.title == "【每日汇总】2025-10-03：退回给你 1 项"
    assert "退回给你（1）\n· 2025-Q3 1.1 任务 1.1（单位报告待填报，截止 2025-10-10）" in bob.body
    erin = digest_of(world["kjj-r"])
    assert erin.title == "【每日汇总】2025-10-03：7 天内到期 1 项"
    sam = digest_of(world["sam"])
    assert sam.title == "【每日汇总】2025-10-03：等待你审核 1 项"
    assert "· 2025-Q3 1.1 任务 1.1（汇总报告待审核）" in sam.body
    alice = digest_of(world["jxw-r"])
    assert alice.title == "【每日汇总】2025-10-03：已逾期 1 项"  # the milestone, 3 days late


def test_the_digest_goes_to_every_enabled_channel_and_in_app(world):
    alice = world["jxw-r"]
    Endpoint.objects.create(user=alice, channel="email", address="alice@example.gov.cn")
    Endpoint.objects.create(user=alice, channel="sms", address="13800138000", enabled=False, disabled_reason="x")
    digests.digests_write(now=at("2025-09-23 08:30"))
    assert set(Delivery.objects.filter(notification__kind="digest").values_list("channel", flat=True)) == {
        "in_app", "email"}
    assert outbox.deliveries_send(now=at("2025-09-23 08:30")).sent == 2
    [message] = mail.outbox
    assert message.to == ["alice@example.gov.cn"] and message.subject.startswith("【每日汇总】2025-09-23")


def test_the_digest_waits_for_the_end_of_quiet_hours_beyond_in_app(world):
    alice = world["jxw-r"]
    Endpoint.objects.create(user=alice, channel="email", address="alice@example.gov.cn")
    QuietHours.objects.create(user=alice, start=time(22), end=time(9))
    digests.digests_write(now=at("2025-09-23 08:30"))
    assert Delivery.objects.get(channel="email").next_attempt_at == at("2025-09-23 09:00")


def test_the_digest_costs_the_same_queries_for_one_person_and_for_many(world, time_machine):
    def run(now) -> int:
        with CaptureQueriesContext(connection) as queries:
            digests.digests_write(now=now)
        return len(queries)

    few = run(at("2025-09-23 08:30"))  # alice alone
    time_machine.move_to(at("2025-09-20 10:00"))
    world.open_round(due=date(2025, 10, 10))
    many = run(at("2025-10-03 08:30"))  # every reporter of the round too
    assert Notification.objects.filter(kind="digest").count() > 2
    assert few == many


def test_the_beat_runs_the_digest_at_half_past_eight_in_shanghai_and_the_job_delivers_it(world, settings,
                                                                                          time_machine):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications.digest_daily"]
    assert (entry["task"], entry["schedule"].hour, entry["schedule"].minute) == ("notifications.digest_daily",
                                                                                  {8}, {30})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    from notifications.jobs import digest_daily_job

    time_machine.move_to(at("2025-09-23 08:30"), tick=False)
    assert digest_daily_job.delay().get() == {"digests": 1, "sent": 1}
    assert digest_daily_job.delay().get() == {"digests": 0, "sent": 0}


def test_the_sweep_command_writes_todays_digest_from_half_past_eight_on(world, time_machine):
    from io import StringIO

    from django.core.management import call_command

    time_machine.move_to(at("2025-09-23 08:00"), tick=False)
    call_command("notifications_sweep", stdout=StringIO())
    assert not Notification.objects.filter(kind="digest").exists()
    time_machine.move_to(at("2025-09-23 09:00"), tick=False)
    out = StringIO()
    call_command("notifications_sweep", stdout=out)
    call_command("notifications_sweep", stdout=StringIO())
    assert "1 digest(s)" in out.getvalue()
    assert Notification.objects.filter(kind="digest").count() == 1
