"""A client rotates its token (new key, the old one dead at once) or revokes it; a token dies with a password
change, by whatever path the password changes; neither the admin nor its log ever shows a key."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import make_user

NEW_PASSWORD = "Jiaotong-Lukou-2027"


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_rotating_answers_a_new_key_and_kills_the_old_one(alice):
    old = Token.objects.create(user=alice).key
    response = with_token(old).post("/api/auth/token/rotate/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert Token.objects.get(user=alice).key == new
    assert with_token(old).get("/api/units/").status_code == 401
    assert with_token(new).get("/api/units/").status_code == 200


def test_a_second_rotation_with_the_old_key_is_refused(alice):
    old = Token.objects.create(user=alice).key
    new = with_token(old).post("/api/auth/token/rotate/").json()["token"]
    again = with_token(old).post("/api/auth/token/rotate/")
    assert again.status_code == 401
    assert Token.objects.get(user=alice).key == new


def test_a_rotation_that_lost_the_race_does_not_kill_the_winners_key(alice):
    """Two clients rotate the same key at once: the one that comes second finds its key gone (409)."""
    from accounts.services import token_rotate
    from tasks.errors import Conflict

    old = Token.objects.create(user=alice).key
    winner = token_rotate(user=alice, presented_key=old)
    with pytest.raises(Conflict):
        token_rotate(user=alice, presented_key=old)
    assert Token.objects.get(user=alice).key == winner.key


def test_a_signed_in_session_can_rotate_to_get_a_token(alice):
    client = APIClient()
    client.force_login(alice)
    response = client.post("/api/auth/token/rotate/")
    assert response.status_code == 200
    assert Token.objects.get(user=alice).key == response.json()["token"]


def test_revoking_deletes_the_callers_token(alice, bob):
    key = Token.objects.create(user=alice).key
    other = Token.objects.create(user=bob).key
    response = with_token(key).delete("/api/auth/token/")
    assert response.status_code == 204
    assert not Token.objects.filter(user=alice).exists()
    assert with_token(key).get("/api/units/").status_code == 401
    assert with_token(key).delete("/api/auth/token/").status_code == 401
    assert with_token(other).get("/api/units/").status_code == 200


@pytest.mark.parametrize(("method", "url"), [("post", "/api/auth/token/rotate/"), ("delete", "/api/auth/token/")])
def test_rotate_and_revoke_need_a_signed_in_caller(db, method, url):
    response = getattr(APIClient(), method)(url)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_obtaining_twice_answers_the_same_token(alice):
    first = APIClient().post("/api/auth/token/", {"username": "alice", "password": "pw-alice"}, format="json")
    second = APIClient().post("/api/auth/token/", {"username": "alice", "password": "pw-alice"}, format="json")
    assert first.status_code == second.status_code == 200
    assert first.json()["token"] == second.json()["token"]


# --- a password change kills the token -------------------------------------------------------------------


def test_changing_the_password_on_its_page_kills_the_token(alice):
    key = Token.objects.create(user=alice).key
    client = Client()
    client.force_login(alice)
    response = client.post(
        "/accounts/password/",
        {"old_password": "pw-alice", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    assert with_token(key).get("/api/units/").status_code == 401
    assert not Token.objects.filter(user=alice).exists()


def test_set_password_kills_the_token(alice):
    key = Token.objects.create(user=alice).key
    alice.set_password(NEW_PASSWORD)
    alice.save()
    assert with_token(key).get("/api/units/").status_code == 401


def test_an_admin_setting_the_password_kills_the_token(alice):
    key = Token.objects.create(user=alice).key
    admin = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    response = client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert with_token(key).get("/api/units/").status_code == 401


def test_saving_a_user_without_a_new_password_keeps_the_token(alice, web_login):
    key = Token.objects.create(user=alice).key
    alice.first_name = "爱丽丝"
    alice.save()
    assert web_login("alice", "pw-alice").status_code == 302  # saves last_login
    assert with_token(key).get("/api/units/").status_code == 200


# --- the admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def root(db):
    return make_user("root", is_staff=True, is_superuser=True)


def admin_pages(client: Client, user_id: int) -> dict[str, str]:
    from django.contrib import admin
    from django.urls import reverse

    token_admins = [model for model in admin.site._registry if issubclass(model, Token)]
    pages = {}
    for model in token_admins:
        opts = model._meta
        for view, args in (("changelist", ()), ("change", (user_id,)), ("delete", (user_id,))):
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = response.content.decode()
    return pages


def test_the_admin_shows_who_has_a_token_but_never_the_key(root, alice):
    key = Token.objects.create(user=alice).key
    client = Client()
    client.force_login(root)
    pages = admin_pages(client, alice.pk)
    assert pages, "tokens are listed in the admin (so that an admin can revoke one)"
    for url, html in pages.items():
        assert key not in html, url
        assert "alice" in html, url
    listing = next(html for url, html in pages.items() if url.endswith("/") and "change" not in url)
    assert key[:4] + "…" in listing


def test_revoking_a_token_in_the_admin_logs_no_key(root, alice):
    from django.contrib import admin

    key = Token.objects.create(user=alice).key
    (model,) = [model for model in admin.site._registry if issubclass(model, Token)]
    client = Client()
    client.force_login(root)
    opts = model._meta
    response = client.post(f"/admin/{opts.app_label}/{opts.model_name}/{alice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=alice).exists()
    assert LogEntry.objects.exists()
    assert not LogEntry.objects.filter(object_repr__contains=key).exists()
    assert key not in client.get(response["Location"]).content.decode()


def test_the_schema_describes_the_token_endpoints(alice):
    client = APIClient()
    client.force_login(alice)
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert set(paths["/api/auth/token/"]) == {"post", "delete"}
    assert set(paths["/api/auth/token/rotate/"]) == {"post"}
    assert "429" in paths["/api/auth/token/"]["post"]["responses"]
