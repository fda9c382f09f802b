"""Helpers shared by tests that need something outside Python: a server database, Redis, a browser."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """Publish this process's Celery messages to ``broker_url`` (for real: not inline) until the block ends.

    Celery keeps one connection pool per app, made on first use: it is set aside here and put back after, so a
    broker URL nothing listens on stands for "the broker is down" without touching any shared server.
    """
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool)
    app.conf.broker_url, app.conf.task_always_eager = broker_url, False
    app._pool = app.amqp._producer_pool = None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool = saved


def dead_broker_url() -> str:
    """A Redis URL on a local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
