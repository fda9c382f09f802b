"""Content-Security-Policy on every response, from ``settings.SECURE_CSP``.

Django 5.2 has no CSP support of its own (it arrives in 6.0). This middleware reads a setting of the same
name and shape as Django 6.0's (``{"default-src": ["'self'"], ...}``), so upgrading is a matter of swapping
the middleware's path for ``django.middleware.csp.ContentSecurityPolicyMiddleware``. No nonces: no page
of ours carries inline script or style (``tests/config/test_csp.py`` keeps it so), and Swagger UI is served
from static files with its init script as a separate request.

A view that needs another policy (a sandboxed preview, say) sets the header itself; the middleware then
leaves it alone. One such exception is ours: DRF's browsable API, whose third-party template carries a style
attribute and a ``<style>`` element (Pygments), may apply inline *styles*; its scripts stay 'self'. Forking
DRF's template to avoid that would leave us a copy that drifts with every DRF release.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework import renderers

HEADER = "Content-Security-Policy"


def build_policy(directives: Mapping[str, Sequence[str] | str | bool]) -> str:
    """The header's value: ``{"default-src": ["'self'"], "upgrade-insecure-requests": True}`` becomes
    ``default-src 'self'; upgrade-insecure-requests``. A directive whose value is False, None or empty is left out."""
    parts = []
    for name, value in directives.items():
        if value is True:
            parts.append(name)
        elif isinstance(value, str) and value:
            parts.append(f"{name} {value}")
        elif value and not isinstance(value, str):
            parts.append(" ".join([name, *value]))
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """Adds ``Content-Security-Policy: <SECURE_CSP>`` to every response that has no policy of its own.

    Placed first in MIDDLEWARE so that static files served by WhiteNoise and error pages get it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = build_policy(getattr(settings, "SECURE_CSP", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and HEADER not in response:
            response[HEADER] = self.policy
        return response


def browsable_api_policy() -> str:
    """The site's policy, with inline styles allowed (scripts are not): what DRF's browsable API needs."""
    directives = dict(getattr(settings, "SECURE_CSP", {}))
    directives["style-src"] = [*directives.get("style-src", ["'self'"]), "'unsafe-inline'"]
    return build_policy(directives)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API under ``browsable_api_policy`` (see the module's docstring)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):  # type: ignore[no-untyped-def]
        response = (renderer_context or {}).get("response")
        if response is not None:
            response[HEADER] = browsable_api_policy()
        return super().render(data, accepted_media_type, renderer_context)
