"""Every signed-in user changes their own password on a page of the site, under the project's validators; the
old password stops working and the session that changed it stays signed in."""

from __future__ import annotations

from django.test import Client

from tests.accounts.conftest import rate_limit

NEW_PASSWORD = "Jiaotong-Lukou-2027"


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_password_page_is_linked_from_the_user_menu(alice):
    header = signed_in_client(alice).get("/").content.decode().split("</header>")[0]
    assert 'href="/accounts/password/"' in header


def test_the_password_page_is_for_signed_in_users(db):
    response = Client().get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_changed_password_replaces_the_old_one(alice, web_login):
    client = signed_in_client(alice)
    page = client.get("/accounts/password/")
    assert page.status_code == 200
    assert "修改密码" in page.content.decode()
    response = client.post(
        "/accounts/password/",
        {"old_password": "pw-alice", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert "密码已修改" in response.content.decode()
    assert client.get("/").status_code == 200  # this session stays signed in
    assert web_login("alice", "pw-alice").status_code == 200  # the form again, with its error
    assert web_login("alice", NEW_PASSWORD).status_code == 302


def test_a_weak_or_wrong_password_is_refused_on_its_field(alice):
    client = signed_in_client(alice)
    weak = client.post(
        "/accounts/password/", {"old_password": "pw-alice", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200
    assert weak.context["form"].errors.keys() == {"new_password2"}
    wrong_old = client.post(
        "/accounts/password/", {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert wrong_old.status_code == 200
    assert wrong_old.context["form"].errors.keys() == {"old_password"}
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")


def test_guessing_the_old_password_is_throttled(alice):
    """A borrowed session must not become a way to guess the password without limit."""
    limit = rate_limit("login")
    client = signed_in_client(alice)
    wrong = {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    answers = [client.post("/accounts/password/", wrong).status_code for _ in range(limit)]
    throttled = client.post("/accounts/password/", {**wrong, "old_password": "pw-alice"})
    assert answers == [200] * limit
    assert throttled.status_code == 429
    assert "尝试过于频繁" in throttled.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("pw-alice")
