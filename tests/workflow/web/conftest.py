"""Fixtures of the reporting-loop page tests: a signed-in browser-like client per persona of the ``world``
(tests/workflow/conftest.py), in Chinese or — through the real language switch — in English, and the fill
form's fields as a browser would post them.

Personas (the world's names for the cast of tests/conftest.py): fgw-r / fgw-h (bob / dave) reporter and head of
unit A (市发展改革委), kjj-r / kjj-h (erin / frank) of unit B (市科技局), jxw-r / jxw-h (alice / carol) of the lead
unit (市经济信息委), sam supervisor, leo leader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tasks.models import Report
from tests.workflow.conftest import World


@pytest.fixture
def page_client(world: World) -> Callable[..., Client]:
    """A signed-in client for a persona of the world, in Chinese (default) or English."""

    def make(name: str, language: str = "zh-hans") -> Client:
        client = Client()
        client.force_login(world[name])
        if language != "zh-hans":
            assert client.post("/i18n/setlang/", {"language": language, "next": "/"}).status_code == 302
        return client

    return make


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploads land in a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def fill_form(world: World, report: Report, *, narrative: str = "本季度完成营收 2.9 万亿元。", value: str = "14.5",
              claim: str | None = "2025-09-28", evidence: str = "验收报告", **extra: Any) -> dict[str, Any]:
    """The fill form's fields as the page names them (what the browser posts with 保存 or 提交)."""
    data: dict[str, Any] = {
        "version": report.version, "narrative": narrative, "percent_complete": "60",
        f"indicator-{world.indicator.pk}-value": value, f"indicator-{world.indicator.pk}-note": "统计快报",
    }
    if claim is not None:
        data |= {f"milestone-{world.milestone.pk}-done": "1", f"milestone-{world.milestone.pk}-date": claim,
                 f"milestone-{world.milestone.pk}-evidence": evidence}
    return data | extra
