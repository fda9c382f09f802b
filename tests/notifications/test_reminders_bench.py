"""``python -m bench.bench_reminders`` runs end to end at a tiny size and prints its table: the bench itself asserts
that every due watch was planned into exactly one message and that every in-app delivery was sent; here, that each
row is printed with its target. The figures themselves are not asserted: speed is measured, not asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_reminders_bench_prints_its_table(tmp_path):
    # SQLite in memory: the bench drops and recreates test_<name> on a server database, which would be this test
    # run's own.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(LUOSHI_DATA_DIR=str(tmp_path / "var"))
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_reminders", "--milestones", "2000", "--repeat", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert any(line.startswith("Reminders benchmark on sqlite: 2000 open milestones (100 tasks × 20), 100 due")
               for line in lines), done.stdout
    assert any("tick, all 100 due (one call)" in line and "target ≤ 1000 ms:" in line for line in lines), done.stdout
    for row in ("watches_reconcile, first (no watches yet)", "watches_reconcile, nothing changed",
                "catch-up sweep: one batch of 500, nothing sent", "tick, nothing due (one call)",
                "floor: count the due rows", "deliveries_send, 100 in-app (one call)",
                "deliveries_send, nothing pending"):
        assert any(line.strip().startswith(row) for line in lines), (row, done.stdout)


def test_on_postgresql_the_bench_also_times_two_sweepers_at_once(tmp_path):
    """The row of the tick shared by two sweeps in two processes (the sweep job and its helper), on a database of the
    bench's own beside this run's."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(f"the two-sweeper row is PostgreSQL's (SKIP LOCKED); this run uses {connection.vendor}")
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/luoshi_bench_ci"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(LUOSHI_DATA_DIR=str(tmp_path / "var"), DATABASE_URL=url)
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_reminders", "--milestones", "2000", "--due", "0.5", "--repeat", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    row = next((line for line in done.stdout.splitlines() if "due, 2 sweepers at once" in line), None)
    assert row is not None and "each sweeper planned" in row and "target ≤ 1000 ms:" in row, done.stdout
