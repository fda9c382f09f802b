"""The leadership view in a real browser (Debian's chromium through Playwright) against a live server.

The leader signs in through the login page and lands on the 五色图: 38 coloured districts and the zone and
department tiles; hovering 万州区 reads its score and rank; a click reaches its breakdown with its tasks and their
lights; the period switcher moves to the earlier round; the big screen shows one track at a time; the bulletin
prints to a PDF; no page breaks the Content-Security-Policy. Screenshots of the map
(desktop and phone) and the printed PDF are kept under var/test-artefacts/ (CI keeps them with the run);
``LUOSHI_SCREENSHOT=1`` also refreshes docs/screenshot-map.png, the README's picture.

Run with ``pytest -m browser``. Without /usr/bin/chromium the tests skip, except on CI (``CI=true``).
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from pypdf import PdfReader

from evaluation import services
from evaluation.models import Evaluation, UnitResult
from tests.evaluation.test_map_pages import boundaries_installed, every_unit_scored
from tests.support import require_chromium
from tests.web.test_csp_browser import RECORD_VIOLATIONS
from tests.workflow.web.test_round_browser import PHONE, chromium
from units.models import Unit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "var" / "test-artefacts"


def publish(world, period: str, today: date) -> Evaluation:
    """A round of ``period`` through the services, every unit given a result, then appeals, approval, publication."""
    with time_machine.travel(f"{today.isoformat()} 09:00 +0800"), transaction.atomic():
        evaluation = services.evaluation_start(actor=world["sam"], plan_id=world.plan.pk, period=period, today=today)
    services.evaluation_compute(evaluation_id=evaluation.pk)
    every_unit_scored(evaluation)
    services.evaluation_open_appeals(actor=world["sam"], evaluation_id=evaluation.pk, version=None, today=today)
    services.evaluation_submit(actor=world["sam"], evaluation_id=evaluation.pk, version=None,
                               today=today + timedelta(days=14))  # after the appeal window
    services.evaluation_approve(actor=world["leo"], evaluation_id=evaluation.pk, version=None)
    return services.evaluation_publish(actor=world["sam"], evaluation_id=evaluation.pk, version=None)


@pytest.fixture
def two_rounds(transactional_db, committed_units, world, approved_quarter):
    require_chromium()
    boundaries_installed()
    earlier = publish(world, "2025-Q2", date(2025, 10, 20))
    latest = publish(world, "2025-Q3", date(2025, 11, 5))
    world["leo"].set_password("pw-leo-map")
    world["leo"].save()
    return world, earlier, latest


def test_a_leader_lands_on_the_map_reads_a_district_drills_down_switches_period_and_prints(two_rounds, live_server):
    world, earlier, latest = two_rounds
    wanzhou = UnitResult.objects.select_related("unit").get(evaluation=latest, unit__code="wanzhou")
    off_map = UnitResult.objects.filter(evaluation=latest).exclude(unit__kind__in=Unit.DISTRICT_KINDS).count()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)  # (the database is not read while the browser runs)
    base = live_server.url
    with chromium() as browser:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
                else None)  # fmt: skip
        page.set_default_timeout(10_000)
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", world["leo"].username)
        page.fill("input[name=password]", "pw-leo-map")
        page.press("input[name=password]", "Enter")
        page.wait_for_url(f"{base}/map/")
        assert "2025-Q3" in page.locator("h1").inner_text()

        regions = page.locator("svg.cq-map a.region path")
        assert regions.count() == 38
        fills = regions.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))")
        assert len(fills) == 38 and "#e5e7eb" not in fills and len(set(fills)) >= 4  # coloured, and not all alike
        tiles = page.locator(".map-tiles a.tile")
        assert tiles.count() == off_map
        assert page.locator('.map-tiles a.tile[data-unit="liangjiang"]').count() == 1

        page.locator('svg.cq-map a[data-unit="wanzhou"] path').hover()
        tip = page.locator("#map-tip")
        tip.wait_for(state="visible")
        assert f"万州区 · 得分 {wanzhou.score}" in tip.inner_text() and f"第 {wanzhou.rank} 名" in tip.inner_text()
        assert page.evaluate("window.__cspViolations") == []  # the tooltip moves through CSSOM, which CSP allows
        page.screenshot(path=str(ARTEFACTS / "map-desktop.png"))
        if os.environ.get("LUOSHI_SCREENSHOT") == "1":
            page.mouse.move(1270, 5)
            page.screenshot(path=str(ROOT / "docs" / "screenshot-map.png"))

        page.set_viewport_size(PHONE)
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTEFACTS / "map-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        page.locator('svg.cq-map a[data-unit="wanzhou"]').click()
        page.wait_for_url(re.compile(rf"/evaluations/{latest.pk}/units/{wanzhou.unit_id}/$"))
        assert "万州区" in page.locator("h1").inner_text()
        assert page.locator("[data-colour]").count() > 0  # its tasks with their lights

        page.goto(f"{base}/map/")
        page.select_option("select[name=evaluation]", str(earlier.pk))
        page.wait_for_url(re.compile(rf"evaluation={earlier.pk}"))
        assert "2025-Q2" in page.locator("h1").inner_text()

        page.goto(f"{base}/map/screen/?evaluation={latest.pk}")
        assert page.locator("body.screen .screen-track:not([hidden])").count() == 1
        assert page.evaluate("document.body.getAttribute('data-current-track')")  # the cycle has begun
        assert page.evaluate("window.__cspViolations") == []

        page.goto(f"{base}/evaluations/{latest.pk}/bulletin/")
        page.emulate_media(media="print")
        assert page.locator(".topbar").is_hidden()  # the print CSS drops the navigation
        pdf = page.pdf(format="A4", print_background=True)
        assert page.evaluate("window.__cspViolations") == [] and refused == []
        context.close()
    (ARTEFACTS / "bulletin-printed.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages)
    assert pdf.startswith(b"%PDF") and "2025-Q3" in text and "赛马比拼晾晒" in text
    assert 1 <= len(reader.pages) <= 6
    assert (ARTEFACTS / "map-desktop.png").stat().st_size > 20_000

