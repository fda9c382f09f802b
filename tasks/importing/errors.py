"""Where a value came from, and the problems an import found.

Pure module: no ORM. Every problem names the file and the place in it (sheet, row,
column and header for a workbook; path and line for YAML) and the offending value,
so the person who fixes the file never has to guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Location:
    """A place in a source file.

    Workbooks fill ``sheet``, ``row`` (1-based), ``column`` (a letter) and ``header``;
    YAML fills ``path`` (``tasks[3].milestones[0].due``) and ``line`` (1-based).
    """

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    header: str | None = None
    path: str | None = None
    line: int | None = None

    def with_column(self, column: str, header: str) -> Location:
        return replace(self, column=column, header=header)

    def describe(self) -> str:
        parts = [self.file]
        if self.sheet is not None:
            parts.append(str(_("工作表“%(sheet)s”") % {"sheet": self.sheet}))
        if self.row is not None:
            parts.append(str(_("第%(row)d行") % {"row": self.row}))
        if self.column is not None and self.header:
            parts.append(str(_("%(column)s列（%(header)s）") % {"column": self.column, "header": self.header}))
        elif self.column is not None:
            parts.append(str(_("%(column)s列") % {"column": self.column}))
        elif self.header is not None:
            parts.append(str(_("列“%(header)s”") % {"header": self.header}))
        if self.line is not None:
            parts.append(str(_("第%(line)d行") % {"line": self.line}))
        if self.path is not None:
            parts.append(self.path)
        return " ".join(parts)


def show_value(value: Any) -> str:
    """A value as the person typed it, for messages."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where, what, and the value found there (if any)."""

    where: Location
    message: str
    value: Any = None

    def __str__(self) -> str:
        text = f"{self.where.describe()}：{self.message}"
        if self.value is not None:
            text += f"：“{show_value(self.value)}”"
        return text


class PlanImportError(Exception):
    """The file cannot be imported; nothing was written. ``problems`` lists every problem found (at most 50)."""

    def __init__(self, problems: Iterable[Problem], *, truncated: bool = False) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.truncated = truncated
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.truncated:
            lines.append(str(_("错误过多，仅列出前 %(n)d 条") % {"n": len(self.problems)}))
        return "\n".join(lines)


class ProblemLog:
    """Collects problems; stops the import once the cap is reached so a broken file fails fast."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.problems: list[Problem] = []
        self._places: set[Location] = set()

    def __bool__(self) -> bool:
        return bool(self.problems)

    def add(self, where: Location, message: str, value: Any = None) -> None:
        """Record a problem. A cell (or YAML path) already reported is not reported again: a later check
        tripping over the same bad value would only repeat the first message."""
        if (where.column is not None or where.path is not None) and where in self._places:
            return
        self._places.add(where)
        self.problems.append(Problem(where, str(message), value))
        if len(self.problems) >= self.limit:
            raise PlanImportError(self.problems, truncated=True)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem.where, problem.message, problem.value)

    def raise_if_any(self) -> None:
        """Raise every problem, in file order: by sheet (as first met), then row or line."""
        if self.problems:
            sheets: dict[str | None, int] = {}
            for problem in self.problems:
                sheets.setdefault(problem.where.sheet, len(sheets))
            raise PlanImportError(
                sorted(self.problems, key=lambda p: (sheets[p.where.sheet], p.where.row or 0, p.where.line or 0))
            )
