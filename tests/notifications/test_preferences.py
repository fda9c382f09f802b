"""Who gets what on which channel, and when: the defaults (only 督办 and 约谈 at once beyond in-app), a person's
preferences, quiet hours; and the settings' API and page (each person's own, refused field by field).

The world (tests/workflow/conftest.py): alice gets milestone "2025"'s T-7 reminder at 08:30 on 23 September 2025;
carol (her unit's head) and sam (supervisor) the 建议督办 on Friday 17 October.
"""

from __future__ import annotations

from datetime import time

import pytest
from rest_framework.test import APIClient

from notifications import outbox, services, sweep
from notifications.models import Delivery, Endpoint, Preference, QuietHours
from notifications.preferences import Rules, quiet_until
from tests.notifications.conftest import at

pytestmark = pytest.mark.django_db


def swept(now) -> None:
    services.watches_reconcile(now=now)
    sweep.reminders_sweep(now=now)


def channels_of(user) -> dict[str, str]:
    """channel: kind of the deliveries written for the user's messages."""
    return dict(Delivery.objects.filter(notification__recipient=user).values_list("channel", "notification__kind"))


# --- the rule, pure -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("now", "start", "end", "until"), [
    ("2025-09-23 08:30", time(8), time(9), "2025-09-23 09:00"),
    ("2025-09-23 09:00", time(8), time(9), None),  # the end is outside
    ("2025-09-23 08:00", time(8), time(9), "2025-09-23 09:00"),  # the start is inside
    ("2025-09-23 23:15", time(22), time(7, 30), "2025-09-24 07:30"),  # across midnight, before it
    ("2025-09-24 06:59", time(22), time(7, 30), "2025-09-24 07:30"),  # and after it
    ("2025-09-23 12:00", time(22), time(7, 30), None),
])
def test_quiet_hours(now, start, end, until):
    assert quiet_until(at(now), start, end) == (at(until) if until else None)


@pytest.mark.parametrize(("kind", "immediate"), [
    ("returned", True), ("reminder", False), ("stale", False), ("chase", False), ("supervise", True),
    ("interview", True),
    ("digest", True), ("channel", False),
])
def test_by_default_only_returns_supervise_and_interview_go_out_at_once(kind, immediate):
    assert Rules({}, {}, {}).wants(1, kind, "email") is immediate


def test_urgent_messages_go_through_quiet_hours_the_rest_wait():
    rules = Rules({}, {}, {1: (time(8), time(9))})
    assert rules.not_before(1, "supervise", at("2025-09-23 08:30")) == at("2025-09-23 08:30")
    assert rules.not_before(1, "reminder", at("2025-09-23 08:30")) == at("2025-09-23 09:00")
    assert rules.not_before(2, "reminder", at("2025-09-23 08:30")) == at("2025-09-23 08:30")


# --- the sweep writes deliveries by the rule ------------------------------------------------------------------------


def test_a_reminder_stays_in_app_by_default(world):
    Endpoint.objects.create(user=world["jxw-r"], channel="email", address="alice@example.gov.cn")
    swept(at("2025-09-23 08:30"))
    assert channels_of(world["jxw-r"]) == {"in_app": "reminder"}


def test_a_supervise_recommendation_goes_out_at_once_on_every_enabled_channel(world):
    carol = world["jxw-h"]
    Endpoint.objects.create(user=carol, channel="email", address="carol@example.gov.cn")
    Endpoint.objects.create(user=carol, channel="sms", address="13800138000")
    Endpoint.objects.create(user=carol, channel="webhook", address="http://127.0.0.1:9/", enabled=False,
                            disabled_reason="HTTP 410")
    swept(at("2025-10-17 08:30"))
    assert channels_of(carol) == {"in_app": "supervise", "email": "supervise", "sms": "supervise"}


def test_a_preference_turns_one_kind_on_one_channel_on_or_off(world):
    carol = world["jxw-h"]
    Endpoint.objects.create(user=carol, channel="email", address="carol@example.gov.cn")
    Endpoint.objects.create(user=carol, channel="sms", address="13800138000")
    Preference.objects.create(user=carol, kind="supervise", channel="sms", immediate=False)
    swept(at("2025-10-17 08:30"))
    assert channels_of(carol) == {"in_app": "supervise", "email": "supervise"}


def test_quiet_hours_hold_a_reminder_until_they_end_but_not_in_app(world):
    alice = world["jxw-r"]
    Endpoint.objects.create(user=alice, channel="sms", address="13800138000")
    Preference.objects.create(user=alice, kind="reminder", channel="sms", immediate=True)
    QuietHours.objects.create(user=alice, start=time(8), end=time(9))
    swept(at("2025-09-23 08:30"))
    sms = Delivery.objects.get(channel="sms")
    assert sms.next_attempt_at == at("2025-09-23 09:00")
    assert outbox.deliveries_send(now=at("2025-09-23 08:30")).sent == 1  # in-app only
    assert outbox.deliveries_send(now=at("2025-09-23 09:00")).sent == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.sent_at) == ("sent", 1, at("2025-09-23 09:00"))


def test_quiet_hours_set_after_the_message_was_written_still_hold_it(world):
    alice = world["jxw-r"]
    Endpoint.objects.create(user=alice, channel="sms", address="13800138000")
    Preference.objects.create(user=alice, kind="reminder", channel="sms", immediate=True)
    swept(at("2025-09-23 08:30"))
    QuietHours.objects.create(user=alice, start=time(8), end=time(9))
    result = outbox.deliveries_send(now=at("2025-09-23 08:30"))
    sms = Delivery.objects.get(channel="sms")
    assert (result.sent, result.deferred) == (1, 1)
    assert (sms.status, sms.attempts, sms.next_attempt_at) == ("pending", 0, at("2025-09-23 09:00"))


def test_quiet_hours_do_not_hold_a_supervise_recommendation(world):
    carol = world["jxw-h"]
    Endpoint.objects.create(user=carol, channel="sms", address="13800138000")
    QuietHours.objects.create(user=carol, start=time(8), end=time(9))
    swept(at("2025-10-17 08:30"))
    outbox.deliveries_send(now=at("2025-10-17 08:30"))
    assert Delivery.objects.get(channel="sms").status == "sent"


# --- the API: GET/PUT /api/notification-preferences/ ----------------------------------------------------------------

URL = "/api/notification-preferences/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_my_settings_start_from_the_defaults(alice):
    body = client_of(alice).get(URL).json()
    assert body["quiet_hours"] is None
    assert body["immediate"]["reminder"] == dict.fromkeys(["email", "webhook", "dingtalk", "wecom", "sms"], False)
    assert body["immediate"]["interview"]["sms"] is True and body["immediate"]["returned"]["email"] is True
    assert body["endpoints"] == dict.fromkeys(["email", "webhook", "dingtalk", "wecom", "sms"])


def test_i_set_my_endpoints_preferences_and_quiet_hours_and_read_them_back(alice, bob):
    data = {
        "quiet_hours": {"start": "22:00", "end": "07:30"},
        "immediate": {"reminder": {"dingtalk": True}, "interview": {"sms": False}},
        "endpoints": {"webhook": {"address": "https://hooks.example.gov.cn/luoshi", "secret": "s3cret"},
                      "dingtalk": {"address": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SECx"},
                      "sms": {"address": "13800138000", "enabled": False}},
    }
    response = client_of(alice).put(URL, data, format="json")
    assert response.status_code == 200, response.content
    body = client_of(alice).get(URL).json()
    assert body == response.json()
    assert body["quiet_hours"] == {"start": "22:00", "end": "07:30"}
    assert body["immediate"]["reminder"]["dingtalk"] is True and body["immediate"]["interview"]["sms"] is False
    assert body["endpoints"]["webhook"] == {"address": "https://hooks.example.gov.cn/luoshi", "secret_set": True,
                                            "enabled": True, "disabled_reason": "", "disabled_at": None}
    assert body["endpoints"]["sms"]["enabled"] is False and body["endpoints"]["sms"]["disabled_reason"]
    assert "s3cret" not in response.content.decode()  # a secret is written, never read back
    assert set(Preference.objects.values_list("kind", "channel", "immediate")) == {
        ("reminder", "dingtalk", True), ("interview", "sms", False)}  # only what differs from the defaults
    assert client_of(bob).get(URL).json()["endpoints"]["webhook"] is None  # mine, not bob's

    # a PUT without the secret keeps it; one without an endpoint removes it
    again = {"endpoints": {"webhook": {"address": "https://hooks.example.gov.cn/v2"}}}
    assert client_of(alice).put(URL, again, format="json").status_code == 200
    webhook = Endpoint.objects.get(user=alice, channel="webhook")
    assert (webhook.address, webhook.secret) == ("https://hooks.example.gov.cn/v2", "s3cret")
    assert not QuietHours.objects.exists() and not Preference.objects.exists()
    assert list(Endpoint.objects.values_list("channel", flat=True)) == ["webhook"]  # dingtalk and sms removed


def test_enabling_a_disabled_endpoint_again_forgets_why(alice):
    Endpoint.objects.create(user=alice, channel="sms", address="13800138000", enabled=False,
                            disabled_reason="not a phone", secret="")
    client_of(alice).put(URL, {"endpoints": {"sms": {"address": "13800138000"}}}, format="json")
    endpoint = Endpoint.objects.get(user=alice)
    assert (endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at) == (True, "", None)


@pytest.mark.parametrize(("data", "where"), [
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, ["quiet_hours", "end"]),
    ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, ["quiet_hours", "start"]),
    ({"immediate": {"reminder": {"email": "maybe"}}}, ["immediate", "reminder", "email"]),
    ({"endpoints": {"webhook": {"address": "ftp://x"}}}, ["endpoints", "webhook", "address"]),
    ({"endpoints": {"webhook": {"address": "https://hooks.example.gov.cn/"}}}, ["endpoints", "webhook", "secret"]),
    ({"endpoints": {"email": {"address": "not-an-address"}}}, ["endpoints", "email", "address"]),
    ({"endpoints": {"email": {"address": ""}}}, ["endpoints", "email", "address"]),  # alice has no e-mail
    ({"endpoints": {"sms": {"address": "call me"}}}, ["endpoints", "sms", "address"]),
])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(alice, data, where):
    QuietHours.objects.create(user=alice, start=time(22), end=time(7))
    response = client_of(alice).put(URL, data, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [".".join(where)]
    assert QuietHours.objects.filter(user=alice).exists() and not Endpoint.objects.exists()


# --- the page -------------------------------------------------------------------------------------------------------


def test_the_page_is_linked_from_my_notifications_and_saves_what_the_api_would(client, alice):
    client.force_login(alice)
    assert 'href="/notifications/preferences/"' in client.get("/notifications/").content.decode()
    page = client.get("/notifications/preferences/")
    assert page.status_code == 200 and "通知设置" in page.content.decode()
    response = client.post("/notifications/preferences/", {
        "quiet_start": "22:00", "quiet_end": "07:00", "imm-reminder-sms": "on", "imm-supervise-email": "on",
        "ep-sms-address": "13800138000", "ep-sms-enabled": "on",
    })
    assert response.status_code == 302
    assert Endpoint.objects.get(user=alice).address == "13800138000"
    assert QuietHours.objects.get(user=alice).start == time(22)
    # reminder on sms turned on; supervise kept on for e-mail, turned off everywhere else
    assert ("reminder", "sms", True) in set(Preference.objects.values_list("kind", "channel", "immediate"))
    assert ("supervise", "sms", False) in set(Preference.objects.values_list("kind", "channel", "immediate"))


def test_the_page_shows_what_is_wrong(client, alice):
    client.force_login(alice)
    response = client.post("/notifications/preferences/", {"ep-webhook-address": "not a url",
                                                            "ep-webhook-enabled": "on"})
    assert response.status_code == 400
    assert "请填写以 http:// 或 https:// 开头的地址" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_a_return_goes_out_at_once_to_whoever_fills_it_again_even_in_quiet_hours(world, time_machine):
    from datetime import date

    from notifications.models import Notification
    from tests.notifications.conftest import tick
    from tests.support import submit_report
    from workflow import services as workflow

    bob = world["fgw-r"]
    Endpoint.objects.create(user=bob, channel="sms", address="13800138000")
    QuietHours.objects.create(user=bob, start=time(9), end=time(18))
    time_machine.move_to(at("2025-09-20 10:00"))
    round_ = world.open_round(due=date(2025, 10, 10))
    part = world.part(round_, "市发展改革委")
    time_machine.move_to(at("2025-10-03 10:30"))
    submit_report(actor=bob, report_id=part.pk)
    workflow.report_return(actor=world["fgw-h"], report_id=part.pk, reason="数据不全")
    tick(at("2025-10-03 10:31"))
    told = Notification.objects.get(recipient=bob, kind="returned")
    assert told.title == "【退回】单位报告待填报已被退回：2025-Q3 1.1 任务 1.1"
    assert told.body == "市发展改革委 · 截止 2025-10-10\n请查看退回意见，修改后重新提交。"
    assert dict(told.deliveries.values_list("channel", "status")) == {"in_app": "sent", "sms": "sent"}
    reminder = Notification.objects.get(recipient=bob, kind="reminder")  # T-7 waits for the digest, not SMS
    assert list(reminder.deliveries.values_list("channel", flat=True)) == ["in_app"]
    tick(at("2025-10-03 10:45"))
    assert Notification.objects.filter(recipient=bob, kind="returned").count() == 1
