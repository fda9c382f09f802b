"""Fixtures of the sign-in tests: a login through the web form and through the token endpoint, from a chosen
address (REMOTE_ADDR; the settings trust no proxy, so X-Forwarded-For is not believed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

Post = Callable[..., object]


def rate_limit(scope: str) -> int:
    """How many requests of *scope* the throttle lets through per period ("30/min" → 30)."""
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


@pytest.fixture
def web_login() -> Post:
    def post(username: str, password: str, *, ip: str = "10.0.0.1", client: Client | None = None, **extra):
        client = client or Client()
        return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)

    return post


@pytest.fixture
def api_login() -> Post:
    def post(username: str, password: str, *, ip: str = "10.0.0.1", **extra):
        return APIClient().post(
            "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip, **extra
        )

    return post
