"""The demo's ladder in motion (``manage.py load_demo_reminders``): on the real demo register, with the quarter's
round overdue, two 督办单 are in flight — 市经济信息委's signed for by jxw-head, 渝北区's answered by yubei-reporter
and waiting for the supervisor — each step on its own working day in the audit trail, and the leader has last
week's briefing. Running it again writes nothing."""

from __future__ import annotations

from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification, SupervisionNotice
from tasks.models import AuditEvent


def test_the_demo_has_two_notices_in_flight_and_the_leaders_briefing(db):
    with time_machine.travel("2026-11-25 09:00 +0800", tick=False):
        call_command("load_demo", "--no-history", stdout=StringIO())  # round 2026-Q4, due 10 January 2027
    with time_machine.travel("2027-01-27 11:00 +0800", tick=False):  # a Wednesday
        out = StringIO()
        call_command("load_demo_reminders", stdout=out)
        assert out.getvalue().startswith(
            "督办单 in flight: 市经济信息委 已签收，待回复; 渝北区 已回复，待审核; weekly briefing to 1 leader(s)")
        lead, district = (SupervisionNotice.objects.get(unit__short_name=name) for name in ("市经济信息委", "渝北区"))
        assert (lead.status, lead.received_by.username) == ("received", "jxw-head")
        assert (district.status, district.replied_by.username) == ("replied", "yubei-reporter")
        assert str(lead.reply_due) >= "2027-01-27" and district.reply_due >= district.issued_at.date()
        steps = AuditEvent.objects.filter(action__startswith="notice_").order_by("at")
        assert [(event.action, str(timezone.localtime(event.at).date())) for event in steps] == [
            ("notice_issue", "2027-01-21"), ("notice_receipt", "2027-01-21"),  # 渝北区: four working days before
            ("notice_issue", "2027-01-22"), ("notice_receipt", "2027-01-25"),  # 市经济信息委: three, signed Monday
            ("notice_reply", "2027-01-26")]  # 渝北区 answers the day before
        assert sorted(Notification.objects.filter(kind="notice").values_list("recipient__username", flat=True)) == [
            "jxw-head", "jxw-reporter", "supervisor", "yubei-head", "yubei-reporter"]
        weekly = Notification.objects.get(kind="weekly")
        assert (weekly.recipient.username, weekly.title) == ("leader", "【每周简报】2027-01-18 至 2027-01-24")
        again = StringIO()
        call_command("load_demo_reminders", stdout=again)
        assert "already there" in again.getvalue()
        assert SupervisionNotice.objects.count() == 2 and Notification.objects.filter(kind="weekly").count() == 1
