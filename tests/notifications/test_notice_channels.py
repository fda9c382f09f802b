"""A 督办单's steps go beyond in-app like the other urgent messages (``preferences.URGENT_KINDS``), and the outbox
checks the step again before sending: a notice signed for before its "issued" message went out is not announced
on the unit's phones any more (``selectors_notices.notice_step_stands``).

The world and the day are those of ``test_notices.py``: on Monday 20 October 2025 the milestone of task 1.1 is 9
working days overdue; alice reports for 市经济信息委 and carol heads it; sam supervises.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils.module_loading import import_string

from notifications import outbox, services
from notifications.models import Delivery, Endpoint, Notification, Preference, SupervisionNotice, Watch
from notifications.selectors_notices import notice_step_stands
from notifications.services_notices import notice_issue, notice_receipt, notice_reply, notice_return
from tests.notifications.conftest import at

pytestmark = pytest.mark.django_db
NOW = at("2025-10-20 10:00")


class RecordingGateway:
    sent: list[dict] = []

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        self.sent.append({"phone": phone, "text": text, "key": idempotency_key})


@pytest.fixture
def gateway(settings):
    settings.SMS_GATEWAY = "tests.notifications.test_notice_channels.RecordingGateway"
    found = import_string(settings.SMS_GATEWAY)
    found.sent = []
    return found


@pytest.fixture
def late(world, time_machine):
    time_machine.move_to(at("2025-10-20 10:00"), tick=False)
    services.watches_reconcile(now=NOW)
    world.watch = Watch.objects.get(milestone=world.milestone)
    for person, phone in (("jxw-r", "13800138001"), ("jxw-h", "13800138002"), ("sam", "13800138003")):
        Endpoint.objects.create(user=world[person], channel="sms", address=phone)
    return world


def sms_of(notification: Notification) -> Delivery:
    return Delivery.objects.get(notification=notification, channel="sms")


def test_an_issued_notice_reaches_the_units_phones_at_once(late, gateway):
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk, now=NOW)
    messages = list(Notification.objects.filter(notice=notice).order_by("recipient__username"))
    assert [(m.recipient.username, m.kind, m.slot) for m in messages] == [
        ("alice", "notice", "notice:issued"), ("carol", "notice", "notice:issued")]
    assert [sms_of(m).status for m in messages] == ["pending", "pending"]
    result = outbox.deliveries_send(now=NOW)
    assert (result.sent, result.cancelled) == (2, 0)  # in-app was recorded sent when written
    assert sorted(sent["phone"] for sent in gateway.sent) == ["13800138001", "13800138002"]
    assert all(sent["text"].startswith("【督办单】") for sent in gateway.sent)
    assert outbox.deliveries_send(now=at("2025-10-20 10:05")).sent == 0  # once


def test_a_notice_signed_for_before_its_message_went_out_is_not_announced_again(late, gateway):
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk, now=NOW)
    notice_receipt(actor=late["jxw-h"], notice_id=notice.pk, now=NOW)
    result = outbox.deliveries_send(now=NOW)
    assert (result.sent, result.cancelled) == (0, 2)
    assert set(Delivery.objects.filter(channel="sms").values_list("status", "last_error")) == {
        ("cancelled", "step passed")}
    assert gateway.sent == []


def test_a_reply_reaches_the_issuer_and_a_return_the_unit_each_once(late, gateway):
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk, now=NOW)
    notice_receipt(actor=late["jxw-r"], notice_id=notice.pk, now=NOW)
    notice_reply(actor=late["jxw-r"], notice_id=notice.pk, reply="已整改", measures="倒排工期", now=NOW)
    outbox.deliveries_send(now=NOW)
    assert [sent["phone"] for sent in gateway.sent] == ["13800138003"]  # sam: the unit's "issued" was cancelled
    notice_return(actor=late["sam"], notice_id=notice.pk, reason="措施不具体", now=NOW)
    gateway.sent = []
    outbox.deliveries_send(now=NOW)
    assert sorted(sent["phone"] for sent in gateway.sent) == ["13800138001", "13800138002"]
    assert all(sent["text"].startswith("【督办单退回】") for sent in gateway.sent)


def test_a_person_who_turned_notices_off_on_a_channel_gets_them_in_app_only(late, gateway):
    Preference.objects.create(user=late["jxw-r"], kind="notice", channel="sms", immediate=False)
    notice_issue(actor=late["sam"], watch_id=late.watch.pk, now=NOW)
    outbox.deliveries_send(now=NOW)
    assert [sent["phone"] for sent in gateway.sent] == ["13800138002"]
    assert Notification.objects.filter(recipient=late["jxw-r"], kind="notice").count() == 1


def test_a_reporter_who_left_the_unit_is_not_sent_the_notice(late, gateway):
    from units.models import Membership

    notice_issue(actor=late["sam"], watch_id=late.watch.pk, now=NOW)
    Membership.objects.filter(user=late["jxw-r"]).delete()
    outbox.deliveries_send(now=NOW)
    assert [sent["phone"] for sent in gateway.sent] == ["13800138002"]
    assert Delivery.objects.get(channel="sms", notification__recipient=late["jxw-r"]).last_error == \
        "role no longer held"


@pytest.mark.parametrize(("status", "version", "slot", "stands"), [
    ("issued", 1, "notice:issued", True),
    ("received", 2, "notice:issued", False),
    ("replied", 3, "notice:replied-v3", True),
    ("returned", 4, "notice:replied-v3", False),
    ("returned", 4, "notice:returned-v4", True),
    ("replied", 5, "notice:returned-v4", False),
    ("accepted", 6, "notice:accepted", True),
    ("issued", 1, "notice:late-issued-2025-10-21", True),
    ("issued", 1, "notice:late-issued-2025-10-14", False),  # another due date
    ("issued", 1, "notice:due-issued-2025-10-21", True),
    ("received", 2, "notice:due-issued-2025-10-21", False),  # signed for since
    ("received", 2, "notice:late-issued-2025-10-21", False),
    ("received", 2, "notice:late-received-2025-10-27", True),
    ("received", 2, "notice:interview-2025-10-27", True),
    ("accepted", 6, "notice:interview-2025-10-27", False),
    ("issued", 1, "notice:something-else", False),
])
def test_which_step_a_notice_message_is_about(status, version, slot, stands):
    notice = SupervisionNotice(status=status, version=version, receipt_due=date(2025, 10, 21),
                               reply_due=date(2025, 10, 27))
    assert notice_step_stands(notice, slot) is stands
