"""The notifications API: its permission matrix (every routed endpoint × anonymous and the personas, and a check
that this matrix and the notices' (test_notices_matrix.py) list every route of notifications/api/urls.py), then what
each endpoint answers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from notifications.api.urls import urlpatterns
from notifications.models import Notification
from tests.conftest import make_persona
from tests.notifications.conftest import make_notification

pytestmark = pytest.mark.django_db

# name: (method, path)
ENDPOINTS = {
    "list": ("get", "/api/notifications/"),
    "read": ("post", "/api/notifications/{notification}/read/"),
    "read-all": ("post", "/api/notifications/read-all/"),
    "preferences": ("get", "/api/notification-preferences/"),
    "preferences-put": ("put", "/api/notification-preferences/"),
}
PERSONAS = ("anonymous", "alice", "carol", "bob", "oscar", "leo", "sam")
EVERYONE = dict.fromkeys(PERSONAS, 200) | {"anonymous": 401}
EXPECTED = {
    "list": EVERYONE,
    # alice's message: hers to mark; for anyone else it is not there
    "read": dict.fromkeys(PERSONAS, 404) | {"anonymous": 401, "alice": 200},
    "read-all": EVERYONE,
    # each reads and writes only their own settings
    "preferences": EVERYONE,
    "preferences-put": EVERYONE,
}


def test_the_matrix_covers_every_routed_endpoint():
    from tests.notifications.test_notices_matrix import ENDPOINTS as NOTICE_ENDPOINTS

    routed = {str(pattern.pattern) for pattern in urlpatterns}
    paths = [path for _method, path in ENDPOINTS.values()] + [path for _m, path, _b in NOTICE_ENDPOINTS.values()]
    listed = {re.sub(r"\{\w+\}", "<id:pk>", path.removeprefix("/api/")) for path in paths}
    assert listed == routed
    assert set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_call_what(endpoint, persona):
    users = {name: make_persona(name) for name in PERSONAS if name != "anonymous"}
    mine = make_notification(users["alice"])
    client = APIClient()
    if persona != "anonymous":
        client.force_authenticate(users[persona])
    method, url = ENDPOINTS[endpoint]
    response = getattr(client, method)(url.format(notification=mine.pk), format="json")
    assert response.status_code == EXPECTED[endpoint][persona], response.content
    if response.status_code == 404:
        assert response.json()["code"] == "not_found"
        mine.refresh_from_db()
        assert mine.read_at is None  # someone else's request changed nothing


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_my_list_is_mine_only_unread_first_then_newest(alice, bob):
    now = timezone.now()
    old_unread = make_notification(alice, title="旧的未读", created_at=now - timedelta(days=3))
    read = make_notification(alice, title="新的已读", created_at=now - timedelta(hours=1))
    Notification.objects.filter(pk=read.pk).update(read_at=now)
    new_unread = make_notification(alice, title="新的未读", created_at=now)
    make_notification(bob, title="别人的")
    make_notification(alice, title="尚未投递", delivered=False)
    body = signed_in(alice).get("/api/notifications/").json()
    assert body["count"] == 3
    assert [row["id"] for row in body["results"]] == [new_unread.pk, old_unread.pk, read.pk]
    row = body["results"][0]
    assert set(row) == {"id", "kind", "kind_label", "level", "role", "title", "body", "url", "subject", "unit",
                        "illustrative", "created_at", "read_at", "unread", "deliveries"}
    assert (row["kind"], row["kind_label"], row["unread"], row["subject"]) == ("reminder", "提醒", True, None)
    # the message's delivery log: one row per channel
    assert [(d["channel"], d["status"]) for d in row["deliveries"]] == [("in_app", "sent")]
    assert set(row["deliveries"][0]) == {"channel", "status", "attempts", "next_attempt_at", "sent_at"}


def test_reading_is_idempotent_and_read_all_marks_the_rest(alice):
    first, second = make_notification(alice), make_notification(alice)
    client = signed_in(alice)
    once = client.post(f"/api/notifications/{first.pk}/read/").json()
    again = client.post(f"/api/notifications/{first.pk}/read/").json()
    assert once["read_at"] == again["read_at"] and once["unread"] is False
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert client.post("/api/notifications/read-all/").json() == {"marked": 0}
    second.refresh_from_db()
    assert second.read_at is not None


def test_a_message_not_yet_delivered_cannot_be_marked(alice):
    pending = make_notification(alice, delivered=False)
    assert signed_in(alice).post(f"/api/notifications/{pending.pk}/read/").status_code == 404


def test_the_schema_of_the_notifications_api_is_valid_and_free_of_warnings():
    reset_generator_stats()
    generator = SchemaGenerator(patterns=[path("api/", include("notifications.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned about the notifications API (see stderr)"
    validate_schema(schema)
    assert set(schema["paths"]) == {
        "/api/notifications/", "/api/notifications/{id}/read/", "/api/notifications/read-all/",
        "/api/notification-preferences/",
        "/api/notices/", "/api/notices/{id}/receipt/", "/api/notices/{id}/reply/", "/api/notices/{id}/accept/",
        "/api/notices/{id}/return/", "/api/escalations/", "/api/escalations/{id}/issue-notice/",
        "/api/escalations/{id}/interview/", "/api/reports/{id}/chase/", "/api/rounds/{id}/chase/"}
    assert schema["components"]["schemas"]["NotificationKindEnum"]["enum"] == [
        "reminder", "stale", "chase", "supervise", "interview", "notice", "returned", "digest", "weekly", "channel"]
