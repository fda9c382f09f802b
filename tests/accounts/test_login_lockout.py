"""Guessing passwords: five failures for one username from one address lock that pair out for the cool-off
(15 minutes by default), on the web login and on the token endpoint alike; a throttle per address caps how fast
anyone may try at all. Another user, or the same user from another address, is not affected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.accounts.conftest import rate_limit

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMIT = getattr(settings, "AXES_FAILURE_LIMIT", 5)
COOL_OFF = getattr(settings, "AXES_COOLOFF_TIME", timedelta(minutes=15))


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def test_fifty_wrong_passwords_lock_the_web_login_even_for_the_right_one(web_login, alice):
    with time_machine.travel(START, tick=False):
        answers = [web_login("alice", f"guess-{n}") for n in range(50)]
        right = web_login("alice", "pw-alice")
    assert [answer.status_code for answer in answers[: LIMIT - 1]] == [200] * (LIMIT - 1)
    assert {answer.status_code for answer in answers[LIMIT - 1 :]} == {429}
    assert "登录失败次数过多" in answers[LIMIT - 1].content.decode()
    assert right.status_code == 429
    assert not right.wsgi_request.user.is_authenticated


def test_the_web_lockout_ends_after_the_cool_off(web_login, alice):
    with time_machine.travel(START, tick=False) as traveller:
        for n in range(LIMIT):
            web_login("alice", f"guess-{n}")
        traveller.shift(COOL_OFF - timedelta(minutes=1))
        assert web_login("alice", "pw-alice").status_code == 429
        traveller.shift(timedelta(minutes=1, seconds=1))
        assert signed_in(web_login("alice", "pw-alice"))


def test_a_web_lockout_holds_that_username_from_that_address_only(web_login, alice, bob):
    for n in range(LIMIT):
        web_login("alice", f"guess-{n}", ip="10.0.0.1")
    assert web_login("alice", "pw-alice", ip="10.0.0.1").status_code == 429
    # A forged X-Forwarded-For does not make a new address: no proxy is trusted by default.
    assert web_login("alice", "pw-alice", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    assert signed_in(web_login("bob", "pw-bob", ip="10.0.0.1"))
    assert signed_in(web_login("alice", "pw-alice", ip="10.0.0.2"))


def test_fifty_wrong_passwords_lock_the_token_endpoint_even_for_the_right_one(api_login, alice):
    with time_machine.travel(START, tick=False):
        answers = [api_login("alice", f"guess-{n}") for n in range(50)]
        right = api_login("alice", "pw-alice")
    assert [answer.status_code for answer in answers[: LIMIT - 1]] == [400] * (LIMIT - 1)
    locked = answers[LIMIT - 1]
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert set(locked.json()) == {"detail", "code"}
    assert "登录失败次数过多" in locked.json()["detail"]
    assert int(locked["Retry-After"]) <= COOL_OFF.total_seconds()
    assert {answer.status_code for answer in answers[LIMIT - 1 :]} == {429}
    assert right.status_code == 429
    assert not Token.objects.filter(user=alice).exists()


def test_the_token_endpoint_lockout_ends_after_the_cool_off(api_login, alice):
    with time_machine.travel(START, tick=False) as traveller:
        for n in range(LIMIT):
            api_login("alice", f"guess-{n}")
        traveller.shift(COOL_OFF - timedelta(minutes=1))
        assert api_login("alice", "pw-alice").status_code == 429
        traveller.shift(timedelta(minutes=1, seconds=1))
        response = api_login("alice", "pw-alice")
    assert response.status_code == 200
    assert Token.objects.get(user=alice).key == response.json()["token"]


def test_a_token_endpoint_lockout_holds_that_username_from_that_address_only(api_login, alice, bob):
    for n in range(LIMIT):
        api_login("alice", f"guess-{n}", ip="10.0.0.1")
    assert api_login("alice", "pw-alice", ip="10.0.0.1").json()["code"] == "locked_out"
    assert api_login("alice", "pw-alice", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    assert api_login("bob", "pw-bob", ip="10.0.0.1").status_code == 200
    assert api_login("alice", "pw-alice", ip="10.0.0.2").status_code == 200


def test_the_web_and_the_api_share_one_count(web_login, api_login, alice):
    for n in range(LIMIT - 1):
        web_login("alice", f"guess-{n}")
    assert api_login("alice", "guess-last").json()["code"] == "locked_out"
    assert web_login("alice", "pw-alice").status_code == 429


def test_a_success_clears_the_failures_before_it(web_login, alice):
    for n in range(LIMIT - 1):
        web_login("alice", f"guess-{n}")
    assert signed_in(web_login("alice", "pw-alice"))
    for n in range(LIMIT - 1):
        assert web_login("alice", f"again-{n}").status_code == 200


def test_the_token_endpoint_is_throttled_per_address(api_login, db):
    limit = rate_limit("login")
    with time_machine.travel(START, tick=False) as traveller:
        answers = [api_login(f"nobody-{n}", "x", ip="10.0.0.7").status_code for n in range(limit)]
        throttled = api_login("nobody-last", "x", ip="10.0.0.7")
        elsewhere = api_login("nobody-last", "x", ip="10.0.0.8")
        traveller.shift(timedelta(minutes=1, seconds=1))
        later = api_login("nobody-later", "x", ip="10.0.0.7")
    assert answers == [400] * limit
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert "Retry-After" in throttled
    assert elsewhere.status_code == 400
    assert later.status_code == 400


def test_the_web_login_is_throttled_per_address(web_login, db):
    limit = rate_limit("login")
    with time_machine.travel(START, tick=False):
        answers = [web_login(f"nobody-{n}", "x", ip="10.0.0.7").status_code for n in range(limit)]
        throttled = web_login("nobody-last", "x", ip="10.0.0.7")
        elsewhere = web_login("nobody-last", "x", ip="10.0.0.8")
    assert answers == [200] * limit
    assert throttled.status_code == 429
    assert "尝试过于频繁" in throttled.content.decode()
    assert elsewhere.status_code == 200
