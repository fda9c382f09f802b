"""A real browser (Debian's chromium through Playwright) walks through the pages against a live server.

Run with ``pytest -m browser``. Without /usr/bin/chromium the tests skip, except on CI
(``CI=true``), where a missing browser is a failure. ``LUOSHI_SCREENSHOT=1`` also writes
docs/screenshot-plan.png from the real Chongqing plan.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from time_machine import TimeMachineFixture

from tests.conftest import make_persona, make_user
from tests.web.conftest import Register, build_register
from units.models import Membership
from units.services import units_load

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(transactional_db: None) -> tuple[Register, User]:
    """Transactional tests start from flushed tables: load the units again and build the register."""
    units_load()
    supervisor = make_persona("sam", is_staff=True)  # staff: the admin link is in the navigation too
    return build_register(), supervisor


def _scroll_width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _nav_links_off_screen(page: Any) -> list[str]:
    """The navigation links that are not wholly inside the viewport, or hidden in a scrolling strip."""
    return page.evaluate("""() => {
        const nav = document.querySelector(".mainnav");
        const off = [...nav.querySelectorAll("a")].filter((a) => {
            const box = a.getBoundingClientRect();
            return box.width === 0 || box.left < 0 || box.right > window.innerWidth;
        }).map((a) => a.textContent.trim());
        if (nav.scrollWidth > nav.clientWidth) off.push("(the navigation scrolls sideways)");
        return off;
    }""")


def test_a_supervisor_signs_in_reads_the_plan_and_its_task_in_both_languages_on_a_phone_too(
    site, live_server, chromium
):
    base = live_server.url
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{base}/")
    assert page.url == f"{base}/accounts/login/?next=/"
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "pw-sam")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator(".who-roles").inner_text() == "市政府办公厅 · 督查专班"

    page.click("text=制造业高质量发展行动方案")
    page.wait_for_url(f"{base}/plans/web/")
    assert page.locator("#illustrative-notice").is_visible()
    task_link = page.locator("#part-1 a", has_text="规模能级")
    assert not task_link.is_visible()  # parts start collapsed
    page.click("#part-1 > summary")
    assert task_link.is_visible()
    assert page.locator("#part-1 th", has_text="牵头单位").is_visible()

    task_link.click()
    page.wait_for_url(f"{base}/plans/web/tasks/1.1/")
    assert page.locator("ol.timeline").is_visible()
    assert page.locator("#milestone-m-overdue.is-overdue").is_visible()
    assert page.locator("#milestone-m-moved .moved s").inner_text() == "2025-06-30"
    assert page.locator(".chart svg").is_visible()

    page.click("form.langswitch button[value=en]")
    page.wait_for_url(f"{base}/plans/web/tasks/1.1/")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".task-side dt", has_text="Lead unit").is_visible()
    assert page.locator("#milestones-title").inner_text().startswith("Milestones")
    assert "Originally" in page.locator("#milestone-m-moved").inner_text()

    page.set_viewport_size(PHONE)
    for path in ("/", "/plans/web/", "/plans/web/tasks/1.1/", "/units/jxw/", "/units/", "/search/?q=目标"):
        page.goto(f"{base}{path}")
        if path == "/plans/web/":
            page.click("button[data-details-toggle=open]")
            assert page.locator("#part-2 a", has_text="铝合金精深加工").is_visible()
        assert _scroll_width(page) <= PHONE["width"], path
        assert _nav_links_off_screen(page) == [], path
    nav = page.locator(".mainnav a").all_inner_texts()
    assert {"Reporting rounds", "API docs", "Admin"} <= set(nav)  # the longest ones, all on screen
    context.close()


@pytest.fixture
def chongqing_session(transactional_db: None, time_machine: TimeMachineFixture) -> str:
    """The real units and Chongqing plan, seen on 2025-06-30 by a supervisor; returns the session cookie.

    The database work happens here, before the browser starts (Playwright's sync API runs an event
    loop in this thread, and Django refuses database calls from there)."""
    from tasks.importing.apply import plan_import

    time_machine.move_to(datetime(2025, 6, 30, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
    units_load()
    plan_import(source=ROOT / "tasks" / "data" / "cq-manufacturing-2023-2027.yaml")
    user = make_user("supervisor", ("市政府办公厅", Membership.Role.SUPERVISOR), first_name="督查室 王督查")
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.skipif(os.environ.get("LUOSHI_SCREENSHOT") != "1", reason="LUOSHI_SCREENSHOT=1 refreshes the README image")
def test_readme_screenshot_of_the_chongqing_plan(chongqing_session, live_server, chromium):
    # The session cookie is handed over directly: the browser's clock is real, the server's is 2025-06-30.
    context = chromium.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, device_scale_factor=1, reduced_motion="reduce"
    )
    context.add_cookies([{"name": "sessionid", "value": chongqing_session, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/plans/cq-manufacturing-2023-2027/")
    page.click("#part-2 > summary")
    page.mouse.move(1270, 5)  # no hover highlight in the picture
    target = ROOT / "docs" / "screenshot-plan.png"
    page.screenshot(path=str(target))
    context.close()
    assert target.stat().st_size > 10_000
