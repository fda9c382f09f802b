"""The judging pauses Python's cycle collector and always gives it back: on exit, on error, and never turning on a
collector that an outer block had paused."""

from __future__ import annotations

import gc

import pytest

from evaluation.snapshot import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_resumed_after():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_an_error():
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_an_outer_pause_is_kept():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
