"""Sections that apps above ``tasks`` add to the leadership's weekly briefing, so that ``notifications`` (which writes
and delivers it) can carry ``evaluation``'s facts — new reds, worsening tasks, rank changes — without importing it.

An app registers a source in its ``AppConfig.ready()``: a function of the week (``Week``) that returns a
``BriefingSection``, or None when it has nothing to say that week. The briefing lists the sections by ``order``.
Sources read the whole register (the briefing goes to the leadership, who see every unit), must be deterministic for
a week, and should cost a fixed number of queries. Registration happens once per process, at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Week:
    """The week a briefing covers: the seven days up to and including ``last`` (the day before it is written)."""

    last: date

    @property
    def first(self) -> date:
        return self.last - timedelta(days=6)

    @property
    def before(self) -> date:
        """The day the week is compared with: the last day of the week before."""
        return self.last - timedelta(days=7)


@dataclass(frozen=True)
class BriefingSection:
    """A titled list of lines; ``more`` counts the lines left out."""

    title: str
    lines: tuple[str, ...]
    more: int = 0


BriefingSource = Callable[[Week], BriefingSection | None]

_SOURCES: dict[str, tuple[int, BriefingSource]] = {}


def register_briefing_section(name: str, source: BriefingSource, *, order: int = 100) -> None:
    """Add (or replace, by ``name``) a source of the weekly briefing."""
    _SOURCES[name] = (order, source)


def unregister_briefing_section(name: str) -> None:
    """Remove a source (tests that register their own); unknown names are ignored."""
    _SOURCES.pop(name, None)


def briefing_sections(week: Week) -> list[BriefingSection]:
    """Every registered source's section for ``week``, by order then name; sources with nothing are left out."""
    found = []
    for _name, (_order, source) in sorted(_SOURCES.items(), key=lambda item: (item[1][0], item[0])):
        section = source(week)
        if section is not None and (section.lines or section.more):
            found.append(section)
    return found
