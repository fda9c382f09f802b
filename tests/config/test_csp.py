"""Every response carries a strict Content-Security-Policy, and nothing of ours needs it loosened: no inline
script, style, style attribute or event handler in any template or static file, and Swagger UI comes from our
own static files with its init script as a request of its own.

What a real browser makes of the policy (no violation on any main page, /api/docs/ working) is in
tests/web/test_csp_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from config.csp import build_policy

ROOT = Path(__file__).resolve().parents[2]

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def test_the_policy_is_the_strict_one():
    assert build_policy(settings.SECURE_CSP) == POLICY
    assert "unsafe" not in POLICY


def test_the_policy_is_built_from_directives():
    directives = {
        "default-src": ["'self'"],
        "upgrade-insecure-requests": True,
        "report-uri": [],
        "img-src": "'self' data:",
    }
    assert build_policy(directives) == "default-src 'self'; upgrade-insecure-requests; img-src 'self' data:"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/plans/cq/",
        "/inbox/",
        "/rounds/",
        "/units/",
        "/api/plans/",
        "/api/docs/",
        "/api/docs/?script",
        "/api/schema/",
        "/admin/",
        "/healthz",
        "/no-such-page/",
        "/api/no-such-endpoint/",
    ],
)
def test_every_response_carries_the_policy(sam, path):
    sam.is_staff = True
    sam.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(sam)
    response = client.get(path)
    assert response["Content-Security-Policy"] == POLICY


def test_the_browsable_api_may_apply_inline_styles_but_not_run_inline_script(sam):
    client = Client()
    client.force_login(sam)
    response = client.get("/api/plans/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    assert client.get("/api/plans/")["Content-Security-Policy"] == POLICY  # JSON: the strict one


def test_anonymous_responses_and_redirects_carry_it_too(db):
    client = Client()
    assert client.get("/")["Content-Security-Policy"] == POLICY  # the redirect to the login page
    assert client.get("/accounts/login/")["Content-Security-Policy"] == POLICY


# --- nothing inline --------------------------------------------------------------------------------------------

MARKUP = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]
SCRIPT = [
    (re.compile(r"setAttribute\(\s*[\"'](style|on[a-z]+)[\"']", re.I), "a style or handler attribute set from script"),
    (re.compile(r"style=|\son[a-z]+=[\"']", re.I), "markup with a style attribute or handler built in script"),
    (re.compile(r"\beval\(|new Function\(|javascript:", re.I), "code from a string"),
]


def _our_templates_and_static() -> list[Path]:
    folders = [ROOT / "templates", ROOT / "static"]
    folders += [path for app in ("units", "tasks", "workflow", "config") for path in (ROOT / app).glob("templates")]
    return [path for folder in folders for path in folder.rglob("*") if path.suffix in {".html", ".js", ".svg"}]


def test_no_template_or_script_of_ours_needs_inline_script_or_style():
    files = _our_templates_and_static()
    assert any(path.name == "base.html" for path in files) and any(path.name == "report.js" for path in files)
    found = [
        f"{path.relative_to(ROOT)}:{number}: {what}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for pattern, what in (SCRIPT if path.suffix == ".js" else MARKUP)
        if pattern.search(line)
    ]
    assert found == []


def test_the_api_docs_load_swagger_ui_from_our_static_files_and_nothing_inline(sam):
    client = Client()
    client.force_login(sam)
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert sources and all(url.startswith(("/static/", "/api/docs/?")) for url in sources), sources
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in url for url in sources)
    assert "cdn" not in html.lower() and "<style" not in html
    assert re.findall(r"<script\b[^>]*>\s*[^<\s]", html) == []  # every script is empty, i.e. has a src
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode() and '"/api/schema/"' in script.content.decode()


def test_the_api_docs_still_need_a_signed_in_user(db):
    assert Client().get("/api/docs/").status_code in (401, 403)
