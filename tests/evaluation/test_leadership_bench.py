"""``python -m bench.bench_leadership`` runs end to end at a tiny size and prints its table: the data published
through the services with every unit scored, a line per page with its target, and the paint in Chromium (or the line
saying why it was skipped). The figures themselves are not asserted: speed is measured, not asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_leadership_bench_prints_its_table(tmp_path):
    # SQLite in a file of its own: the bench drops and recreates test_<name> on a server database, which would be
    # this test run's own.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(LUOSHI_DATA_DIR=str(tmp_path / "var"))
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_leadership", "--tasks", "300", "--quarters", "2", "--requests", "2",
         "--paints", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert "2 rounds published through the services" in out and "all scored" in out, out
    for page in ("/map/?evaluation= (五色图)", "/evaluations/<id>/ (ranking)"):
        assert any(page in line and "target p95 ≤ 200 ms" in line for line in out.splitlines()), out
    assert "target map painted p95 ≤ 1000 ms" in out or "paint in Chromium: skipped" in out, out
