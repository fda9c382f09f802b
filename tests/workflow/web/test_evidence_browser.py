"""Evidence previews in a real browser (Debian's chromium through Playwright) against a live server: under the
inline endpoint's sandboxing CSP a PDF renders in chromium's own viewer and an image displays, while the script of a
PDF/HTML polyglot never runs; the report page with its 预览 links fits a phone.

Run with ``pytest -m browser``. Without /usr/bin/chromium the tests skip, except on CI (``CI=true``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import make_persona
from tests.factories import make_milestone, make_plan, make_task
from tests.filebuilders import ATTACK_DIR, pdf_bytes, png_bytes
from tests.workflow.api.conftest import upload
from tests.workflow.conftest import PEOPLE
from tests.workflow.web.test_round_browser import Person, _fits_a_phone, chromium
from units.services import units_load
from workflow import services

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


@pytest.fixture
def evidence(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A part with a PDF, a PDF/HTML polyglot and a PNG on it, built before the browser starts."""
    from tests.support import require_chromium

    require_chromium()
    settings.MEDIA_ROOT = tmp_path / "media"
    units_load()
    users = {"sam": make_persona("sam"), "fgw-r": make_persona(PEOPLE["fgw-r"])}
    today = timezone.localdate()
    plan = make_plan("wf")
    task = make_task(plan, "1.1", parent=make_task(plan, "1", lead=None), responsible=("市发展改革委",))
    milestone = make_milestone(task, "m1", today - timedelta(days=3))
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    round_, _ = services.round_open(actor=users["sam"], plan=plan, period=period, due_date=today + timedelta(days=10))
    services.round_open_run(round_id=round_.pk)
    from tasks.models import Report

    part = Report.objects.get(round=round_, kind="part", unit__short_name="市发展改革委")
    files = {
        name: services.report_attach(
            actor=users["fgw-r"], report_id=part.pk, upload=upload(name, data), milestone_id=milestone.pk
        ).pk
        for name, data in (
            ("验收报告.pdf", pdf_bytes("Hello evidence")),
            ("report.html", (ATTACK_DIR / "report.html").read_bytes()),
            ("现场照片.png", png_bytes(16, 16)),
        )
    }
    return {"part": part.pk, "files": files, "sam": users["sam"]}


def test_a_pdf_renders_in_the_viewer_an_image_displays_and_a_polyglot_runs_nothing(evidence, live_server):
    base, part = live_server.url, evidence["part"]
    inline = {name: f"{base}/api/reports/{part}/attachments/{pk}/inline/" for name, pk in evidence["files"].items()}
    with chromium() as browser:
        sam = Person(browser, base, evidence["sam"].username)
        page = sam.page
        page.goto(f"{base}/reports/{part}/")
        assert _fits_a_phone(page, f"{base}/reports/{part}/")
        with sam.context.expect_page() as opened:
            page.locator(".file", has_text="验收报告.pdf").locator("a.file-preview").click()
        tab = opened.value
        tab.wait_for_load_state()
        assert tab.url == inline["验收报告.pdf"]
        tab.wait_for_timeout(1500)
        assert any(frame.url.startswith(PDF_VIEWER) for frame in tab.frames), [f.url for f in tab.frames]

        messages: list[str] = []
        tab.on("console", lambda message: messages.append(message.text))
        tab.goto(inline["report.html"])
        tab.wait_for_timeout(1500)
        assert any(frame.url.startswith(PDF_VIEWER) for frame in tab.frames)  # shown as the PDF it starts as
        assert tab.title() != "pwned" and "pwned" not in " ".join(messages)

        tab.goto(inline["现场照片.png"])
        size = tab.locator("img").evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert size == [16, 16]
