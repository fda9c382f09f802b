"""The Content-Security-Policy in a real browser (Debian's chromium through Playwright) against a live server:
the main pages, the report form, the admin and the API docs run with no violation, and the API docs load
nothing from another host.

Violations are caught twice: the ``securitypolicyviolation`` events the page fires, and chromium's console
("Refused to … because it violates the following Content Security Policy directive").

Run with ``pytest -m browser``. Without /usr/bin/chromium the tests skip, except on CI (``CI=true``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from viewflow.workflow.models import Process

from tasks.models import Report
from tests.conftest import make_persona
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Unit
from units.services import units_load
from workflow import services

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@dataclass
class Site:
    sessions: dict[str, str]  # username → session cookie
    pages: dict[str, list[str]]  # username → paths to visit


@pytest.fixture
def site(transactional_db: None) -> Site:
    """A plan with one task, a round open on it, a staff supervisor and a reporter, signed in. The database work
    happens here, before the browser starts (Django refuses database calls from Playwright's event loop)."""
    units_load()
    sam = make_persona("sam", is_staff=True, is_superuser=True)
    bob = make_persona("bob")
    today = timezone.localdate()
    plan = make_plan("wf", title="制造业高质量发展行动方案")
    parent = make_task(plan, "1", lead=None, title="发展目标")
    task = make_task(plan, "1.1", parent=parent, title="规模能级", responsible=("市发展改革委", "市科技局"))
    make_indicator(
        task,
        "I1",
        name="规模以上工业企业营业收入",
        unit_of_measure="万亿元",
        baseline_value="2.8",
        target_value="4",
        interim={today.year: "3.5"},
    )
    make_milestone(task, "m1", today + timedelta(days=20), title="营收突破 2.9 万亿元")
    round_, _ = services.round_open(
        actor=sam, plan=plan, period=f"{today.year}-{today.month:02d}", due_date=today + timedelta(days=10)
    )
    services.round_open_run(round_id=round_.pk)
    part = Report.objects.get(round=round_, kind=Report.Kind.PART, unit__short_name="市发展改革委")
    task_report = Report.objects.get(round=round_, kind=Report.Kind.TASK)
    unit = Unit.objects.get(code="fgw")
    sessions = {}
    for user in (sam, bob):
        client = Client()
        client.force_login(user)
        sessions[user.username] = client.cookies["sessionid"].value
    return Site(
        sessions=sessions,
        pages={
            "sam": [
                "/api/plans/",
                "/",
                "/plans/wf/",
                "/plans/wf/tasks/1.1/",
                "/units/",
                "/units/fgw/",
                "/search/?q=规模",
                "/inbox/",
                "/rounds/",
                f"/rounds/{round_.pk}/",
                f"/reports/{task_report.pk}/",
                f"/reports/{part.pk}/",
                "/admin/",
                "/admin/viewflow/process/",
                f"/admin/viewflow/process/{Process.objects.first().pk}/change/",
                f"/admin/units/unit/{unit.pk}/change/",
                "/admin/units/membership/add/",
                "/api/docs/",
            ],
            "bob": ["/inbox/", f"/reports/{part.pk}/"],
            "": ["/accounts/login/"],
        },
    )


def _context(browser: Any, base: str, session: str) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    if session:
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    context.add_init_script(RECORD_VIOLATIONS)
    return context


def test_no_page_breaks_the_content_security_policy(site, live_server, chromium):
    base = live_server.url
    violations: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url')}: {message.text}")

    visited = 0
    for username, paths in site.pages.items():
        context = _context(chromium, base, site.sessions.get(username, ""))
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", on_console)
        for path in paths:
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status == 200, path
            assert response.headers["content-security-policy"].startswith("default-src 'self'"), path
            page.wait_for_load_state("networkidle")
            if path.startswith("/reports/") and username == "bob":
                page.fill("#narrative", "本季度规上工业营收 2.9 万亿元。")  # autosave: report.js at work
                page.locator("#autosave-status", has_text="已自动保存").wait_for()
            if path == "/api/docs/":
                page.locator(".opblock").first.wait_for()
            violations += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations")]
            visited += 1
        context.close()
    assert visited == sum(len(paths) for paths in site.pages.values())
    assert violations == [], "\n".join(violations)


def test_the_api_docs_show_the_operations_from_our_own_files_only(site, live_server, chromium):
    base = live_server.url
    context = _context(chromium, base, site.sessions["sam"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base}/api/docs/")
    page.locator(".opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/plans/" in [p.replace("\u200b", "") for p in paths]
    assert page.locator(".opblock").count() > 20
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    context.close()
    others = [url for url in requested if urlsplit(url).netloc != urlsplit(base).netloc and not url.startswith("data:")]
    assert others == []
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in url for url in requested)
    assert any(url.endswith("/api/schema/") for url in requested)
    assert violations == [], "\n".join(violations)
