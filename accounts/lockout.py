"""Brute-force defence around signing in: django-axes' lockout and a per-address throttle.

- **Lockout** (django-axes, database handler): ``AXES_FAILURE_LIMIT`` failures (5) for one *username from one
  address* lock that pair out for ``AXES_COOLOFF_TIME`` (15 minutes), counted from the failure that locked it
  (attempts while locked do not extend it). The pair, not the address alone, so that one person behind an
  agency's shared address cannot lock the whole agency out; not the username alone, so that an attacker
  cannot lock a user out from anywhere. The web login, the admin login and the token endpoint share the count.
- **Throttle** (DRF's, scope ``login``): a cap on sign-in attempts per address and minute, whatever the usernames,
  which bounds password spraying across many accounts from one address.

Both read the client's address the same way (:func:`client_ip`): ``REMOTE_ADDR``, or the entry that the
``LUOSHI_TRUSTED_PROXIES`` trusted proxies appended to ``X-Forwarded-For``; a header the client wrote itself
is never believed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

LOCKED_OUT = _(
    "登录失败次数过多，该账号在当前网络地址已被暂时锁定（最长 {minutes} 分钟），请稍后再试或联系管理员解锁。"
)


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR`` unless proxies are trusted, then the address the outermost trusted
    proxy saw (DRF's ``NUM_PROXIES`` rule, so the throttle and the lockout agree)."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))]


def cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def locked_out_message() -> str:
    return LOCKED_OUT.format(minutes=cool_off_minutes())


class LockedOut(exceptions.APIException):
    """429 ``locked_out``: this username is locked out from this address (``Retry-After``: the whole cool-off,
    an upper bound)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("登录失败次数过多，账号已被暂时锁定。")
    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(locked_out_message())
        self.wait = int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page the view rendered (the login form, which says why: see
    :class:`accounts.forms.LoginForm`), answered as 429. The token endpoint answers its own lockout
    (:class:`LockedOut`) in the API's error contract."""
    if isinstance(original_response, HttpResponse):
        original_response.status_code = status.HTTP_429_TOO_MANY_REQUESTS
        return original_response
    return HttpResponse(
        locked_out_message(), status=status.HTTP_429_TOO_MANY_REQUESTS, content_type="text/plain; charset=utf-8"
    )


class LoginRateThrottle(SimpleRateThrottle):
    """Sign-in attempts per client address (scope ``login``), for the token endpoint and, called by hand, for
    the web login and the password-change form."""

    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}

    def get_ident(self, request) -> str:
        return client_ip(request)
