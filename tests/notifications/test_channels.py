"""Delivery beyond in-app, on the real database, with only the outside network replaced by servers the tests start on
127.0.0.1: a real SMTP server (aiosmtpd) that the e-mail is read back from, and an HTTP receiver (http.server in a
thread) that checks the generic webhook's and DingTalk's signatures by the documented algorithms, written here
independently of the channels' code.

The world (tests/workflow/conftest.py): milestone "2025" of task 1.1 is due Tuesday 30 September 2025; alice
(市经济信息委's reporter) gets its T-7 reminder at 08:30 on 23 September, carol (its head) and sam (supervisor) the
建议督办 on Friday 17 October.
"""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.utils.module_loading import import_string

from notifications import outbox, services, sweep
from notifications.models import Delivery, Endpoint, Notification, Preference
from tests.notifications.conftest import at

pytestmark = pytest.mark.django_db

T7 = at("2025-09-23 08:30")


def alice_reminded(world, channel: str, address: str, secret: str = "") -> Delivery:
    """alice has an endpoint on ``channel`` and wants reminders there at once; the sweep writes her T-7 reminder."""
    Endpoint.objects.create(user=world["jxw-r"], channel=channel, address=address, secret=secret)
    Preference.objects.create(user=world["jxw-r"], kind="reminder", channel=channel, immediate=True)
    services.watches_reconcile(now=T7)
    sweep.reminders_sweep(now=T7)
    return Delivery.objects.get(channel=channel)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def owner_told(user) -> list[str]:
    """Titles of the "channel disabled" messages the user can see in-app."""
    return list(Notification.objects.filter(recipient=user, kind="channel", deliveries__channel="in_app",
                                            deliveries__status="sent").values_list("title", flat=True))


# --- e-mail: a real SMTP server -------------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; refuses ``refuse`` with 550."""

    def __init__(self, refuse: str = "") -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings) -> Iterator[tuple[Mailbox, Controller]]:
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend talks to."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "luoshi@example.gov.cn"
    yield mailbox, controller
    controller.stop()


@pytest.mark.slow
def test_an_email_reaches_a_real_smtp_server_and_reads_back(world, smtp):
    mailbox, _controller = smtp
    delivery = alice_reminded(world, "email", "alice@example.gov.cn")
    result = outbox.deliveries_send(now=T7)
    assert result.sent == 2  # in-app and e-mail
    [(sender, recipients, raw)] = mailbox.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert (sender, recipients) == ("luoshi@example.gov.cn", ["alice@example.gov.cn"])
    assert message["Subject"].strip() == delivery.notification.title  # folded, RFC 2047-encoded: a leading space
    assert message["Subject"].strip().startswith("【提醒】节点还有 7 天到期")
    assert message["Message-ID"] == f"<luoshi-delivery-{delivery.pk}@example.gov.cn>"
    assert message["Idempotency-Key"] == str(delivery.pk)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "市经济信息委 · 截止 2025-09-30" in text and "http://127.0.0.1:8000/plans/wf/tasks/1.1/" in text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert outbox.deliveries_send(now=at("2025-09-23 09:30")).sent == 0 and len(mailbox.messages) == 1


@pytest.mark.slow
def test_an_address_the_server_refuses_for_good_disables_the_endpoint_and_tells_its_owner(world, smtp):
    mailbox, _controller = smtp
    mailbox.refuse = "nobody@example.gov.cn"
    delivery = alice_reminded(world, "email", "nobody@example.gov.cn")
    result = outbox.deliveries_send(now=T7)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("permanent", None)
    assert "550" in delivery.last_error and result.disabled == 1
    endpoint = Endpoint.objects.get(user=world["jxw-r"], channel="email")
    assert not endpoint.enabled and "550" in endpoint.disabled_reason and endpoint.disabled_at == T7
    assert owner_told(world["jxw-r"]) == ["【渠道停用】你的电子邮件通知渠道已停用"]
    assert mailbox.messages == []


@pytest.mark.slow
def test_a_server_that_is_down_is_retried_with_backoff_and_the_mail_arrives_once(world, settings):
    port = free_port()  # nothing listens there yet: connection refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    delivery = alice_reminded(world, "email", "alice@example.gov.cn")
    outbox.deliveries_send(now=T7)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 1, at("2025-09-23 08:31"))
    outbox.deliveries_send(now=at("2025-09-23 08:31"))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, at("2025-09-23 08:33"))
    assert outbox.deliveries_send(now=at("2025-09-23 08:32")).sent == 0  # not due yet
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        outbox.deliveries_send(now=at("2025-09-23 08:33"))
        outbox.deliveries_send(now=at("2025-09-23 09:33"))
    finally:
        controller.stop()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 3, at("2025-09-23 08:33"))
    assert len(mailbox.messages) == 1
    assert Endpoint.objects.get(channel="email").enabled  # a transient error disables nothing


# --- webhooks: a local HTTP receiver that checks the signatures -----------------------------------------------------

SECRET = "whsec-0123456789abcdef"
DINGTALK_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST, checks its signature with ``verify`` (401 when wrong) and
    answers with the next of ``answers`` (status, JSON body); the last answer repeats."""

    def __init__(self, answers: list[tuple[int, dict]], verify=None) -> None:
        self.answers, self.verify, self.requests = list(answers), verify, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified = receiver.verify(self.path, self.headers, body) if receiver.verify else True
                status, answer = (receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0])
                if not verified:
                    status, answer = 401, {"error": "bad signature"}
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                          "verified": verified, "status": status})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify_webhook(path, headers, body) -> bool:
    """The generic webhook's rule: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body)), timestamp recent."""
    timestamp = headers["X-Luoshi-Timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return (hmac.compare_digest(expected, headers.get("X-Luoshi-Signature", ""))
            and abs(time.time() - int(timestamp)) < 300)


def verify_dingtalk(path, headers, body) -> bool:
    """DingTalk's documented 加签 check: timestamp (ms) within an hour, and sign == urlencode(base64(HMAC-SHA256(
    key=secret, msg=timestamp + "\\n" + secret)))."""
    raw = dict(part.split("=", 1) for part in urllib.parse.urlsplit(path).query.split("&"))
    timestamp = raw["timestamp"]
    string_to_sign = f"{timestamp}\n{DINGTALK_SECRET}"
    hmac_code = hmac.new(DINGTALK_SECRET.encode("utf-8"), string_to_sign.encode("utf-8"),
                         digestmod=hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(hmac_code))
    return raw["sign"] == sign and abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000


@pytest.mark.slow
def test_a_webhook_is_a_signed_json_post_with_the_delivery_as_idempotency_key(world):
    with Receiver([(200, {})], verify=verify_webhook) as receiver:
        delivery = alice_reminded(world, "webhook", receiver.url + "/hooks/luoshi", SECRET)
        assert outbox.deliveries_send(now=T7).sent == 2
    [request] = receiver.requests
    assert request["verified"] and request["path"] == "/hooks/luoshi"
    assert request["headers"]["Idempotency-Key"] == str(delivery.pk)
    payload = json.loads(request["body"])
    assert payload["id"] == delivery.pk and payload["idempotency_key"] == str(delivery.pk)
    assert (payload["kind"], payload["level"], payload["title"]) == ("reminder", 0, delivery.notification.title)
    assert payload["url"] == "http://127.0.0.1:8000/plans/wf/tasks/1.1/"


@pytest.mark.slow
def test_a_webhook_with_the_wrong_secret_is_refused_and_disabled(world):
    with Receiver([(200, {})], verify=verify_webhook) as receiver:
        delivery = alice_reminded(world, "webhook", receiver.url + "/hooks/luoshi", "not-the-secret")
        outbox.deliveries_send(now=T7)
    assert [request["verified"] for request in receiver.requests] == [False]
    delivery.refresh_from_db()
    assert delivery.status == "permanent" and delivery.last_error.startswith("HTTP 401")
    assert not Endpoint.objects.get(channel="webhook").enabled


@pytest.mark.slow
def test_dingtalk_is_signed_as_documented_and_sent_as_markdown(world):
    with Receiver([(200, {"errcode": 0, "errmsg": "ok"})], verify=verify_dingtalk) as receiver:
        delivery = alice_reminded(world, "dingtalk", receiver.url + "/robot/send?access_token=abc", DINGTALK_SECRET)
        assert outbox.deliveries_send(now=T7).sent == 2
    [request] = receiver.requests
    assert request["verified"]
    assert request["path"].startswith("/robot/send?access_token=abc&timestamp=")
    payload = json.loads(request["body"])
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == delivery.notification.title[:64]
    text = payload["markdown"]["text"]
    assert text.startswith(f"**{delivery.notification.title}**")
    assert "[去处理](http://127.0.0.1:8000/plans/wf/tasks/1.1/)" in text


@pytest.mark.slow
def test_wecom_gets_its_markdown_message(world):
    with Receiver([(200, {"errcode": 0, "errmsg": "ok"})]) as receiver:
        delivery = alice_reminded(world, "wecom", receiver.url + "/cgi-bin/webhook/send?key=k")
        assert outbox.deliveries_send(now=T7).sent == 2
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["content"].startswith(f"**{delivery.notification.title}**")


@pytest.mark.slow
@pytest.mark.parametrize(("channel", "answer"), [
    ("webhook", (404, {})),
    ("webhook", (410, {})),
    ("dingtalk", (200, {"errcode": 310000, "errmsg": "sign not match"})),
    ("wecom", (200, {"errcode": 93000, "errmsg": "invalid webhook url"})),
])
def test_a_receiver_that_refuses_for_good_disables_the_endpoint_and_tells_its_owner(world, channel, answer):
    with Receiver([answer]) as receiver:
        delivery = alice_reminded(world, channel, receiver.url + "/x?key=k", "s")
        result = outbox.deliveries_send(now=T7)
        outbox.deliveries_send(now=at("2025-09-24 08:30"))
    assert len(receiver.requests) == 1 and result.disabled == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("permanent", 1)
    endpoint = Endpoint.objects.get(channel=channel)
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, delivery.last_error)
    assert len(owner_told(world["jxw-r"])) == 1


@pytest.mark.slow
@pytest.mark.parametrize(("channel", "failure"), [
    ("webhook", (500, {})),
    ("webhook", (429, {})),
    ("dingtalk", (200, {"errcode": 130101, "errmsg": "send too fast"})),
])
def test_a_transient_failure_is_retried_with_backoff_and_succeeds_exactly_once(world, channel, failure):
    ok = (200, {"errcode": 0})
    with Receiver([failure, failure, ok], verify=verify_webhook if channel == "webhook" else None) as receiver:
        delivery = alice_reminded(world, channel, receiver.url + "/x?key=k", SECRET)
        for minute in range(0, 60):  # every minute for an hour, as beat does
            outbox.deliveries_send(now=at("2025-09-23 08:30") + minute * (at("2025-09-23 08:31") - T7))
    assert [request["status"] for request in receiver.requests] == [failure[0], failure[0], 200]
    assert {request["headers"]["Idempotency-Key"] for request in receiver.requests} == {str(delivery.pk)}
    delivery.refresh_from_db()
    # attempts at 08:30, then 1 and 2 minutes later
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 3, at("2025-09-23 08:33"))
    assert Endpoint.objects.get(channel=channel).enabled and owner_told(world["jxw-r"]) == []


def test_a_receiver_that_is_not_listening_is_retried(world):
    delivery = alice_reminded(world, "webhook", f"http://127.0.0.1:{free_port()}/hook", SECRET)
    outbox.deliveries_send(now=T7)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("failed", at("2025-09-23 08:31"))
    assert "refused" in delivery.last_error.lower() and Endpoint.objects.get(channel="webhook").enabled


# --- SMS through the pluggable gateway ------------------------------------------------------------------------------


class RecordingGateway:
    sent: list[dict] = []

    def send(self, *, phone: str, text: str, idempotency_key: str) -> None:
        self.sent.append({"phone": phone, "text": text, "key": idempotency_key})


def test_sms_goes_through_the_logging_gateway_by_default(world, caplog):
    delivery = alice_reminded(world, "sms", "138 0013 8000")
    with caplog.at_level(logging.INFO, logger="notifications.channels.sms"):
        assert outbox.deliveries_send(now=T7).sent == 2
    assert f"SMS {delivery.pk} to 13800138000: 【提醒】" in caplog.text


def test_sms_goes_through_the_configured_gateway(world, settings):
    settings.SMS_GATEWAY = "tests.notifications.test_channels.RecordingGateway"
    gateway = import_string(settings.SMS_GATEWAY)  # the class the channel loads (pytest may hold another copy)
    gateway.sent = []
    delivery = alice_reminded(world, "sms", "+8613800138000")
    outbox.deliveries_send(now=T7)
    [sent] = gateway.sent
    assert (sent["phone"], sent["key"]) == ("+8613800138000", str(delivery.pk))
    assert sent["text"].startswith("【提醒】节点还有 7 天到期")


def test_a_phone_number_that_is_not_one_disables_sms(world):
    delivery = alice_reminded(world, "sms", "call me")
    outbox.deliveries_send(now=T7)
    delivery.refresh_from_db()
    assert delivery.status == "permanent" and not Endpoint.objects.get(channel="sms").enabled


# --- checked again before sending -----------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["endpoint disabled", "endpoint removed", "preference off"])
def test_a_delivery_whose_channel_was_turned_off_meanwhile_is_cancelled(world, change):
    delivery = alice_reminded(world, "sms", "13800138000")
    endpoint = Endpoint.objects.get(channel="sms")
    if change == "endpoint disabled":
        Endpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason="本人已停用")
    elif change == "endpoint removed":
        endpoint.delete()
    else:
        Preference.objects.filter(channel="sms").update(immediate=False)
    result = outbox.deliveries_send(now=T7)
    delivery.refresh_from_db()
    assert (result.sent, result.cancelled) == (1, 1)  # in-app still goes
    expected = "preference off" if change == "preference off" else "channel disabled"
    assert (delivery.status, delivery.last_error) == ("cancelled", expected)


def test_another_worker_disabled_the_endpoint_first(world):
    from notifications.endpoints import endpoint_disable

    alice_reminded(world, "sms", "13800138000")
    endpoint = Endpoint.objects.get(channel="sms")
    assert endpoint_disable(endpoint_id=endpoint.pk, reason="HTTP 410", now=T7) is True
    assert endpoint_disable(endpoint_id=endpoint.pk, reason="HTTP 404", now=at("2025-09-23 08:31")) is False
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at) == (False, "HTTP 410", T7)
    assert Notification.objects.filter(kind="channel").count() == 1  # its owner is told once


# --- a worker that dies, a batch that runs slow ----------------------------------------------------------------------


def test_a_send_beyond_in_app_is_recorded_at_once_so_a_worker_dying_later_does_not_repeat_it(world, monkeypatch):
    from notifications import channels

    for person in ("jxw-r", "jxw-h"):  # both get the 催办 on 9 October
        Endpoint.objects.create(user=world[person], channel="sms", address="13800138000")
        Preference.objects.create(user=world[person], kind="chase", channel="sms", immediate=True)
    services.watches_reconcile(now=at("2025-10-09 08:30"))
    sweep.reminders_sweep(now=at("2025-10-09 08:30"))
    calls: list[int] = []

    class DiesOnTheSecond:
        name = "sms"

        def send(self, delivery, endpoint):
            calls.append(delivery.pk)
            if len(calls) == 2:
                raise KeyboardInterrupt  # the worker is killed mid-batch

    monkeypatch.setitem(channels.REGISTRY, "sms", DiesOnTheSecond())
    with pytest.raises(KeyboardInterrupt):
        outbox.deliveries_send(now=at("2025-10-09 08:30"))
    first, second = calls
    assert Delivery.objects.get(pk=first).status == "sent"
    assert Delivery.objects.get(pk=second).status == "pending"  # claimed, comes back when the lease ends
    class Fine:
        name = "sms"

        def send(self, delivery, endpoint):
            calls.append(delivery.pk)

    monkeypatch.setitem(channels.REGISTRY, "sms", Fine())
    outbox.deliveries_send(now=at("2025-10-09 08:41"))
    assert calls == [first, second, second]  # the first was not sent again
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_batch_slowed_by_its_endpoints_gives_the_rest_back_before_its_lease_ends(world, monkeypatch):
    delivery = alice_reminded(world, "sms", "13800138000")
    monkeypatch.setattr(outbox, "SEND_BUDGET", 0)
    result = outbox.deliveries_send(now=T7, max_batches=1)
    delivery.refresh_from_db()
    assert (result.sent, result.released) == (1, 1)  # in-app went; the SMS was handed back undone
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, T7)
    monkeypatch.setattr(outbox, "SEND_BUDGET", 0.5)
    assert outbox.deliveries_send(now=T7).sent == 1


def test_a_claim_holds_its_deliveries_for_the_lease_the_settings_say_at_that_moment(world, settings):
    from datetime import timedelta

    alice_reminded(world, "sms", "13800138000")
    settings.DELIVERY_LEASE_SECONDS = 45  # after import: read at the claim
    claimed = outbox._claim(now=T7, size=10)
    assert len(claimed) == 2
    assert set(Delivery.objects.values_list("next_attempt_at", "attempts")) == {(T7 + timedelta(seconds=45), 1)}
    assert outbox._claim(now=T7 + timedelta(seconds=44), size=10) == []
    assert sorted(outbox._claim(now=T7 + timedelta(seconds=45), size=10)) == sorted(claimed)
