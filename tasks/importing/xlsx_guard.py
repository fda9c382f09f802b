"""Open an uploaded workbook without trusting its size, its XML or its declared dimensions.

Pure module: no ORM. Three stages, each bounded by :data:`XLSX_LIMITS`:

1. :func:`check_archive` looks at the zip directory (number of members, total uncompressed size,
   compression ratio, size of the parts that openpyxl parses whole) and then streams every XML part
   once through expat, rejecting any DOCTYPE (XXE, billion laughs: an xlsx never has one) and counting
   the elements that openpyxl would hold in memory. Nothing is decompressed beyond the declared sizes
   (zipfile stops at a member's declared size and the CRC check then fails).
2. openpyxl opens the workbook in read-only mode (it parses through defusedxml, which forbids
   entities, as a second line).
3. :func:`read_sheet` streams one worksheet's XML itself: one ``<c>`` element in memory at a time,
   values placed by the ``r`` they carry. The declared ``<dimension>`` is never used, so a sheet that
   declares (or really has a cell at) XFD1048576 costs only its real cells; a value beyond the row or
   column limit, or more cells than the workbook limit, stops the read with an error naming the limit.

Violations raise :class:`PlanImportError` whose problem names the file, sheet, row and column.

Stage 3 leans on two openpyxl internals, ``WorkSheetParser.parse_cell`` (value, type and date conversion
exactly as openpyxl's own readers do) and ``ReadOnlyWorksheet._get_source``; openpyxl is pinned (3.1.5)
and tests/tasks/test_import_xlsx.py would catch a change.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.parsers import expat

from django.utils.translation import gettext_lazy as _
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.functions import iterparse

from tasks.importing.errors import Location, PlanImportError, Problem

_MB = 1024 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    """What one workbook may hold. Generous for a real 台账: a province-scale register (5,000 tasks,
    20,000 milestones on the 节点 sheet) exports to about 0.3 million cells and a few MB of XML."""

    rows: int = 50_000
    """Last row (per sheet) that may hold a value."""
    columns: int = 200
    """Last column (per sheet) that may hold a value: GR."""
    cells: int = 1_000_000
    """Cells the reader keeps for the whole workbook: per row, from column A to its last value."""
    merged_ranges: int = 50_000
    """Merged ranges per sheet."""
    members: int = 1_000
    """Files inside the zip."""
    uncompressed_bytes: int = 50 * _MB
    """All members together, uncompressed."""
    compression_ratio: int = 200
    """Uncompressed : compressed, for any member of at least ``ratio_checked_from`` bytes."""
    ratio_checked_from: int = _MB
    part_bytes: int = 10 * _MB
    """Each XML part other than a worksheet (those are streamed): workbook, styles, shared strings …"""
    xml_elements: int = 1_000_000
    """XML elements openpyxl builds in memory: all parts but the worksheets' data, together."""


XLSX_LIMITS = XlsxLimits()

_WORKSHEETS = "xl/worksheets/"
_CHUNK = 64 * 1024
# A cell is a handful of elements (<c><v/></c>, rich text runs); thousands in one cell is an attack.
_CELL_ELEMENTS = 10_000


def _number(value: int) -> str:
    return f"{value:,}"


def _fail(where: Location, message: str, value: Any = None) -> PlanImportError:
    return PlanImportError([Problem(where, message, value)])


def not_xlsx(where: Location) -> PlanImportError:
    """The one answer for a file that is not a readable workbook, whatever is wrong inside it."""
    return _fail(where, str(_("不是有效的 xlsx 文件（请用 Excel 另存为 .xlsx）")))


class _DoctypeFound(Exception):
    pass


class _SheetDataReached(Exception):
    pass


def check_archive(path: Path, limits: XlsxLimits = XLSX_LIMITS) -> None:
    """Refuse *path* before openpyxl reads it if it breaks a limit or carries a DOCTYPE.

    Raises PlanImportError (a limit, or "不是有效的 xlsx 文件"); the zip and XML errors it may meet are
    turned into the latter, so a broken file never surfaces as a traceback.
    """
    where = Location(file=path.name)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_directory(where, members, limits)
            elements = [0]
            for info in members:
                _scan_xml(archive, info, where, limits, elements)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, expat.ExpatError, _DoctypeFound) as exc:
        raise not_xlsx(where) from exc
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: a compression method zipfile lacks.
        raise not_xlsx(where) from exc


def _check_directory(where: Location, members: list[zipfile.ZipInfo], limits: XlsxLimits) -> None:
    if len(members) > limits.members:
        message = _("压缩包内文件过多：%(n)s 个，上限 %(limit)s 个")
        raise _fail(where, str(message) % {"n": _number(len(members)), "limit": _number(limits.members)})
    total = sum(info.file_size for info in members)
    if total > limits.uncompressed_bytes:
        message = _("解压后过大：%(size)s MB，上限 %(limit)s MB")
        size, limit = -(-total // _MB), limits.uncompressed_bytes // _MB
        raise _fail(where, str(message) % {"size": _number(size), "limit": _number(limit)})
    for info in members:
        if info.file_size >= limits.ratio_checked_from:
            ratio = info.file_size // max(info.compress_size, 1)
            if ratio > limits.compression_ratio:
                message = _("压缩比异常（%(ratio)s 倍，上限 %(limit)s 倍），疑似压缩炸弹")
                values = {"ratio": _number(ratio), "limit": _number(limits.compression_ratio)}
                raise _fail(where, str(message) % values, info.filename)


def _looks_like_xml(head: bytes) -> bool:
    head = head.removeprefix(b"\xef\xbb\xbf")
    return head.lstrip().startswith(b"<") or head.startswith((b"\xff\xfe<\x00", b"\xfe\xff\x00<"))


def _scan_xml(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: Location, limits: XlsxLimits, elements: list[int]
) -> None:
    """Stream one part through expat: no DOCTYPE, well formed, and count into ``elements[0]`` the elements
    openpyxl would build in memory: all of them, or for a worksheet those before its cell data (openpyxl
    reads up to there to size the sheet; the rest :func:`read_sheet` streams). A part that does not start
    like XML (an image) is not scanned: openpyxl never parses those."""
    worksheet = info.filename.startswith(_WORKSHEETS)
    parser = expat.ParserCreate()

    def doctype(*_args: Any) -> None:
        raise _DoctypeFound

    def start(name: str, _attributes: Any) -> None:
        elements[0] += 1
        if elements[0] > limits.xml_elements:
            message = _("XML 元素过多：超过上限 %(limit)s 个")
            raise _fail(where, str(message) % {"limit": _number(limits.xml_elements)}, info.filename)
        if worksheet and name.rpartition(":")[2] == "sheetData":
            raise _SheetDataReached

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    with archive.open(info) as stream:
        chunk = stream.read(_CHUNK)
        if not _looks_like_xml(chunk[:64]):
            return
        if not worksheet and info.file_size > limits.part_bytes:
            message = _("文件内部件过大：上限 %(limit)s MB")
            raise _fail(where, str(message) % {"limit": _number(limits.part_bytes // _MB)}, info.filename)
        try:
            while chunk:
                parser.Parse(chunk, False)
                chunk = stream.read(_CHUNK)
            parser.Parse(b"", True)
        except _SheetDataReached:
            pass


@dataclass
class CellBudget:
    """Cells kept so far across the workbook; charged as rows grow."""

    limit: int
    used: int = 0

    def charge(self, cells: int, where: Location) -> None:
        self.used += cells
        if self.used > self.limit:
            raise _fail(where, str(_("单元格过多：整个文件超过上限 %(limit)s 个")) % {"limit": _number(self.limit)})


@dataclass
class SheetData:
    """A worksheet's values: ``grid[r][c]`` is row r + 1, column c + 1; rows are as long as their last value.
    ``merged`` holds (min_col, min_row, max_col, max_row), 1-based, clipped to the column limit."""

    title: str
    grid: list[list[Any]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def read_sheet(
    worksheet: ReadOnlyWorksheet, *, file: str, budget: CellBudget, limits: XlsxLimits = XLSX_LIMITS
) -> SheetData:
    """Stream *worksheet* (from a read-only workbook) into a :class:`SheetData`.

    Memory: the grid plus one cell's XML at a time. Empty cells (styles only) cost nothing wherever they
    are; a value past ``limits.rows`` / ``limits.columns`` or past the cell budget raises PlanImportError
    at that cell. XML and value errors propagate (the caller reports the file as not a workbook).
    """
    workbook = worksheet.parent
    cells = WorkSheetParser(
        None,
        worksheet._shared_strings,
        data_only=workbook.data_only,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    sheet = SheetData(title=worksheet.title)
    stack: list[Any] = []
    in_row = False
    cell_elements = 0
    with worksheet._get_source() as source:
        for event, element in iterparse(source, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "row" and not in_row:
                    in_row = True
                    number = element.get("r")
                    cells.row_counter = int(number) if number is not None else cells.row_counter + 1
                    cells.col_counter = 0
                elif in_row and tag == "c":
                    cell_elements = 0
                cell_elements += 1
                if cell_elements > _CELL_ELEMENTS:
                    raise ValueError("too many XML elements in one cell")
                stack.append(element)
                continue
            stack.pop()
            if in_row and tag == "c":
                _place(cells.parse_cell(element), sheet, file=file, budget=budget, limits=limits)
            elif tag == "row":
                in_row = False
            elif tag == "mergeCell":
                _merge(element.get("ref", ""), sheet, file=file, limits=limits)
            if in_row and tag != "c":
                continue  # part of a cell (<v>, <is>, <f>): parse_cell reads it when the cell ends
            element.clear()
            if stack:
                stack[-1].remove(element)
    return sheet


def _place(cell: dict[str, Any], sheet: SheetData, *, file: str, budget: CellBudget, limits: XlsxLimits) -> None:
    value = cell["value"]
    if value is None or value == "":
        return
    row, column = cell["row"], cell["column"]
    where = Location(file=file, sheet=sheet.title, row=row)
    if row > limits.rows:
        raise _fail(
            replace(where, column=get_column_letter(column)),
            str(_("超出行数上限：有内容的行最多到第 %(limit)s 行")) % {"limit": _number(limits.rows)},
            value,
        )
    if column > limits.columns:
        raise _fail(
            replace(where, column=get_column_letter(column)),
            str(_("超出列数上限：有内容的列最多到第 %(limit)s 列（%(letter)s）"))
            % {"limit": _number(limits.columns), "letter": get_column_letter(limits.columns)},
            value,
        )
    grid = sheet.grid
    while len(grid) < row:
        grid.append([])
    line = grid[row - 1]
    if len(line) < column:
        budget.charge(column - len(line), where)
        line.extend([None] * (column - len(line)))
    line[column - 1] = value


def _merge(ref: str, sheet: SheetData, *, file: str, limits: XlsxLimits) -> None:
    if len(sheet.merged) >= limits.merged_ranges:
        raise _fail(
            Location(file=file, sheet=sheet.title),
            str(_("合并单元格过多：每个工作表上限 %(limit)s 处")) % {"limit": _number(limits.merged_ranges)},
        )
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_col is None or min_row is None or max_col is None or max_row is None:
        raise ValueError(f"not a cell range: {ref!r}")
    if min_col <= limits.columns and min_row <= limits.rows:
        sheet.merged.append((min_col, min_row, min(max_col, limits.columns), min(max_row, limits.rows)))
