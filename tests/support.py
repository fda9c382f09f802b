"""Helpers shared by tests that need something outside Python: a server database, Redis, a browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def require(ok: bool, reason: str) -> None:
    """Skip when a service or tool is missing; under CI=true a skip would hide a gap, so fail instead."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_chromium() -> None:
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
