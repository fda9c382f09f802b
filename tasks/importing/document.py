"""The neutral plan document that every reader produces and ``apply`` consumes.

Pure module: frozen dataclasses, no ORM. Unit names stay as written (they are resolved
against the unit directory when applying); dates, decimals and choices are already
parsed. Each record carries the :class:`Location` of every value it holds, so apply can
point at the cell or YAML line behind a problem it finds later (an unknown unit, a
duplicate code).

``given`` lists the fields the source actually speaks about. A workbook without a
``类型`` column says nothing about task kinds: apply then leaves the kind of an existing
task alone and uses the default for a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tasks.importing.errors import Location, Problem


@dataclass(frozen=True)
class _Record:
    where: Location
    given: frozenset[str]
    locations: Mapping[str, Location]

    def at(self, name: str) -> Location:
        """Where the value of field *name* came from (the record's own place if unknown)."""
        return self.locations.get(name, self.where)


@dataclass(frozen=True)
class PlanDoc(_Record):
    """The plan's own fields. ``code`` may be missing in a workbook without a 方案 sheet."""

    code: str | None = None
    title: str = ""
    title_en: str = ""
    issuer: str = ""
    issued_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    cadence: str = "quarterly"
    status: str = "active"
    units_illustrative: bool = False
    note: str = ""


@dataclass(frozen=True)
class TaskDoc(_Record):
    """One task row / node. ``lead`` is the cell text (may list several units: the first leads)."""

    code: str = ""
    title: str = ""
    title_en: str = ""
    text: str = ""
    kind: str = "qualitative"
    importance: str = "normal"
    lead: str = ""
    responsible: tuple[str, ...] = ()
    units_illustrative: bool | None = None  # None: the plan's setting
    start_date: date | None = None
    due_date: date | None = None
    due_text: str = ""
    note: str = ""

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None


@dataclass(frozen=True)
class IndicatorDoc(_Record):
    task_code: str = ""
    code: str = ""
    name: str = ""
    name_en: str = ""
    unit_of_measure: str = ""
    direction: str = "higher"
    baseline_year: int = 0
    baseline_value: Decimal = Decimal(0)
    baseline_illustrative: bool = False
    target_year: int = 0
    target_value: Decimal = Decimal(0)
    target_text: str = ""
    interim: tuple[tuple[int, Decimal], ...] = ()
    interim_illustrative: bool = False
    source: str = ""
    order: int = 0


@dataclass(frozen=True)
class MilestoneDoc(_Record):
    task_code: str = ""
    code: str = ""
    title: str = ""
    due_date: date | None = None
    original_due_date: date | None = None
    weight: Decimal = Decimal(1)
    target_value: Decimal | None = None
    owner: str = ""
    order: int = 0


@dataclass(frozen=True)
class PlanDocument:
    """A whole file, read. ``has_indicators`` / ``has_milestones`` say whether the file speaks about them at all.

    ``problems`` are what the reader found wrong with single values (those fields hold their
    defaults); apply adds its own and refuses the file if there are any, so the person fixing
    it sees every problem at once.
    """

    source: str
    plan: PlanDoc | None
    tasks: tuple[TaskDoc, ...]
    indicators: tuple[IndicatorDoc, ...] = ()
    milestones: tuple[MilestoneDoc, ...] = ()
    has_indicators: bool = True
    has_milestones: bool = True
    title_hint: str = ""
    where: Location = field(default_factory=lambda: Location(file=""))
    problems: tuple[Problem, ...] = ()
