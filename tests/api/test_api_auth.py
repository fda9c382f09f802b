"""Who may reach the API at all: anonymous 401 everywhere, token and session auth, the schema and its docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats
from rest_framework.authtoken.models import Token

from tasks.api.urls import urlpatterns as task_api_urls
from units.api.urls import urlpatterns as unit_api_urls
from units.models import Unit

SCHEMA_SERVED_TO_SIGNED_IN_ONLY = "SERVE_PERMISSIONS" in settings.SPECTACULAR_SETTINGS


ENDPOINTS = [
    ("get", "/api/units/"),
    ("get", "/api/units/{unit}/"),
    ("get", "/api/plans/"),
    ("get", "/api/plans/{plan}/"),
    ("patch", "/api/plans/{plan}/"),
    ("get", "/api/tasks/"),
    ("post", "/api/tasks/"),
    ("get", "/api/tasks/{task}/"),
    ("patch", "/api/tasks/{task}/"),
    ("get", "/api/indicators/"),
    ("post", "/api/indicators/"),
    ("get", "/api/indicators/{indicator}/"),
    ("patch", "/api/indicators/{indicator}/"),
    ("get", "/api/indicators/{indicator}/values/"),
    ("get", "/api/milestones/"),
    ("post", "/api/milestones/"),
    ("get", "/api/milestones/{milestone}/"),
    ("patch", "/api/milestones/{milestone}/"),
]


def _url(path: str, register) -> str:
    return path.format(
        unit=Unit.objects.get(code="jxw").pk, plan=register.plan.pk, task=register.task_1.pk,
        indicator=register.indicator.pk, milestone=register.m1.pk,
    )


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_request_is_told_to_authenticate(anonymous, register, method, path) -> None:
    response = getattr(anonymous, method)(_url(path, register), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_endpoint_table_covers_every_routed_action() -> None:
    routed = {
        (method, str(pattern.pattern))
        for pattern in [*unit_api_urls, *task_api_urls]
        for method in pattern.callback.actions
        if method != "head"
    }
    listed = {
        (method, "^" + re.sub(r"\{\w+\}", "(?P<pk>[^/.]+)", path.removeprefix("/api/")) + "$")
        for method, path in ENDPOINTS
    }
    assert listed == routed


def test_token_obtained_with_password_opens_the_api(anonymous, alice, register) -> None:
    response = anonymous.post("/api/auth/token/", {"username": "alice", "password": "pw-alice"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=alice).key == token

    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = anonymous.get("/api/tasks/")
    assert response.status_code == 200
    assert response.json()["count"] == 4


def test_wrong_password_gets_no_token(anonymous, alice) -> None:
    response = anonymous.post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert not Token.objects.filter(user=alice).exists()


def test_unknown_token_is_refused_with_401(anonymous, register) -> None:
    anonymous.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert anonymous.get("/api/tasks/").status_code == 401


def test_supervisor_token_can_write(anonymous, sam, register) -> None:
    token = Token.objects.create(user=sam)
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = anonymous.patch(f"/api/tasks/{register.task_2.pk}/", {"title": "数字化车间建设"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "数字化车间建设"


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_served_to_a_signed_in_user(client_for, alice, url) -> None:
    response = client_for(alice).get(url)
    assert response.status_code == 200


def test_schema_describes_the_register_endpoints(client_for, alice) -> None:
    response = client_for(alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/units/", "/api/plans/{id}/", "/api/tasks/", "/api/tasks/{id}/", "/api/indicators/",
                 "/api/milestones/{id}/"):
        assert path in paths
    assert set(paths["/api/tasks/{id}/"]) == {"get", "patch"}


@pytest.mark.skipif(
    not SCHEMA_SERVED_TO_SIGNED_IN_ONLY,
    reason="needs SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'] = ['rest_framework.permissions.IsAuthenticated']",
)
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_refuse_anonymous(anonymous, url) -> None:
    assert anonymous.get(url).status_code == 401


def test_schema_generates_without_warnings(tmp_path: Path) -> None:
    reset_generator_stats()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/milestones/{id}/" in (tmp_path / "schema.yml").read_text(encoding="utf-8")
