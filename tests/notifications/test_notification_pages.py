"""The notifications page and the navigation's unread count: what a person sees, the mark-read forms, and that
nobody reaches anyone else's messages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from notifications.models import Notification
from tests.notifications.conftest import make_notification

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def unread_badge(html: str) -> str | None:
    nav = html.split('<nav class="mainnav"')[1].split("</nav>")[0]
    match = re.search(r'<span class="count" data-notifications-unread>(\d+)</span>', nav)
    return match.group(1) if match else None


def test_the_navigation_shows_the_unread_count_on_every_page(alice):
    client = client_for(alice)
    assert unread_badge(client.get("/units/").content.decode()) is None
    make_notification(alice)
    make_notification(alice, delivered=False)  # not delivered yet: not counted
    html = client.get("/units/").content.decode()
    assert unread_badge(html) == "1" and 'href="/notifications/"' in html


def test_the_page_lists_my_messages_with_their_forms(alice, bob):
    mine = make_notification(alice, title="【催办】节点已逾期 1 个工作日：1.1 任务", kind="chase", level=1,
                             illustrative=True)
    make_notification(bob, title="别人的消息")
    html = client_for(alice).get("/notifications/").content.decode()
    assert "【催办】节点已逾期 1 个工作日：1.1 任务" in html and "别人的消息" not in html
    assert f'action="/notifications/{mine.pk}/read/"' in html and 'action="/notifications/read-all/"' in html
    assert 'data-level="1"' in html and "1 条未读" in html and "示例" in html
    assert 'aria-current="page"' in html.split('href="/notifications/"')[1][:40]


def test_marking_read_goes_back_to_the_list_or_on_to_the_page_it_is_about(alice):
    first, second = make_notification(alice), make_notification(alice)
    client = client_for(alice)
    response = client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    response = client.post(f"/notifications/{second.pk}/read/", {"go": "1"})
    assert response.status_code == 302 and response["Location"] == "/plans/wf/tasks/1.1/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "全部已读" in client.get("/notifications/").content.decode()


def test_read_all_marks_only_mine(alice, bob):
    make_notification(alice)
    theirs = make_notification(bob)
    response = client_for(alice).post("/notifications/read-all/", follow=True)
    assert "已将 1 条通知标为已读。" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_message_is_not_there(alice, bob):
    theirs = make_notification(bob)
    assert client_for(alice).post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client_for(alice).get(f"/notifications/{theirs.pk}/read/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_page_wants_a_signed_in_user(db):
    response = Client().get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_empty_list_says_what_will_come(alice):
    html = client_for(alice).get("/notifications/?page=²").content.decode()
    assert "还没有通知" in html
