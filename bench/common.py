"""Bench plumbing: a throwaway database of the configured engine, timing and percentiles."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()


@contextmanager
def throwaway_database(*, keep: bool = False, sqlite_file: Path | None = None) -> Iterator[str]:
    """Create a fresh test database (SQLite or PostgreSQL per DATABASE_URL), migrate, drop it afterwards (``keep``:
    leave it, data included, to look at its queries afterwards; the next run replaces it).

    SQLite's test database is in memory unless ``sqlite_file`` names a file: what another process (a server the
    bench starts) must open."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if sqlite_file is not None and connection.vendor == "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(sqlite_file)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection.vendor
    finally:
        if keep:
            connection.close()
            connection.settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


class QueryCount:
    """Queries seen so far by :func:`count_queries` (only a number: no SQL is kept, so it is cheap at scale)."""

    def __init__(self) -> None:
        self.n = 0


@contextmanager
def count_queries() -> Iterator[QueryCount]:
    """Count the statements sent on the default connection inside the block (savepoints included)."""
    from django.db import connection

    counter = QueryCount()

    def counting(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        counter.n += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        yield counter


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(samples_s)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "max": ordered[-1] * 1000, "n": len(ordered)}


def fmt(stats: dict[str, float]) -> str:
    return f"p50 {stats['p50']:7.1f} ms   p95 {stats['p95']:7.1f} ms   max {stats['max']:7.1f} ms   (n={stats['n']})"
