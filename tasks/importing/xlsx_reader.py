"""Read an Excel 台账 (.xlsx) into a :class:`PlanDocument`.

Pure module: no ORM. The main sheet is the first sheet not called 方案, 指标 or 节点.
It may start with a title row, has a one- or two-row header (责任分工 merged over 牵头单位
and 责任单位), then task rows, blank rows, section rows (一、二、…) that become parent tasks,
and footnotes (注：…). Cells merged downwards are read as if the value were repeated in each
row (except 序号). The optional sheets 方案, 指标 and 节点 carry the plan's own fields, the
indicators and the milestones. Layout and rules: docs/import-format.md.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from tasks.codes import is_valid_code
from tasks.importing import values
from tasks.importing.document import IndicatorDoc, MilestoneDoc, PlanDoc, PlanDocument, TaskDoc
from tasks.importing.errors import Location, PlanImportError, Problem, ProblemLog
from tasks.importing.xlsx_guard import (
    XLSX_LIMITS,
    CellBudget,
    SheetData,
    XlsxLimits,
    check_archive,
    not_xlsx,
    read_sheet,
)
from units.matching import split_unit_names

PLAN_SHEET, INDICATOR_SHEET, MILESTONE_SHEET = "方案", "指标", "节点"
SPECIAL_SHEETS = (PLAN_SHEET, INDICATOR_SHEET, MILESTONE_SHEET)

MAIN_REQUIRED = ("序号", "任务名称", "牵头单位", "责任单位", "完成时限")
MAIN_OPTIONAL = ("任务内容", "备注", "类型", "重要程度", "开始日期", "英文名称", "分工为示例", "状态", "完成日期")
HEADER_ALIASES = {
    "编号": "序号",
    "完成时间": "完成时限",
    "配合单位": "责任单位",
    "具体内容": "任务内容",
    "工作内容": "任务内容",
    "主要内容": "任务内容",
}
GROUP_HEADER = "责任分工"

PLAN_KEYS = {
    "代码": "code",
    "名称": "title",
    "英文名称": "title_en",
    "印发单位": "issuer",
    "印发日期": "issued_date",
    "开始日期": "start_date",
    "结束日期": "end_date",
    "报送周期": "cadence",
    "状态": "status",
    "单位分工为示例": "units_illustrative",
    "说明": "note",
}
_PLAN_KEYS_NEVER_EMPTY = {"code", "title", "start_date", "end_date", "cadence", "status", "units_illustrative"}
INDICATOR_COLUMNS = {
    "任务序号": "task_code",
    "指标编号": "code",
    "指标名称": "name",
    "英文名称": "name_en",
    "计量单位": "unit_of_measure",
    "方向": "direction",
    "基期年份": "baseline_year",
    "基期值": "baseline_value",
    "基期值为示例": "baseline_illustrative",
    "目标年份": "target_year",
    "目标值": "target_value",
    "目标原文": "target_text",
    "序时目标": "interim",
    "序时目标为示例": "interim_illustrative",
    "数据来源": "source",
}
INDICATOR_REQUIRED = ("任务序号", "指标编号", "指标名称", "计量单位", "基期年份", "基期值", "目标年份", "目标值")
MILESTONE_COLUMNS = {
    "任务序号": "task_code",
    "节点编号": "code",
    "节点名称": "title",
    "计划完成日期": "due_date",
    "原定完成日期": "original_due_date",
    "权重": "weight",
    "目标数量": "target_value",
    "责任单位": "owner",
}
MILESTONE_REQUIRED = ("任务序号", "节点编号", "节点名称", "计划完成日期")
MILESTONE_IGNORED = ("状态", "完成日期")

_HEADER_SCAN_ROWS = 20
_SECTION = re.compile(r"^(?P<num>[一二三四五六七八九十零〇两]+)\s*(?:[、.,]\s*(?P<title>.*))?$", re.DOTALL)
_PLAIN_NUMBER = re.compile(r"^(?P<n>\d+)\s*[、.]?$")
_NOTE = re.compile(r"^(注|备注|说明|填表说明|资料来源)\s*\d*\s*[:：、]")
_ATTACHMENT = re.compile(r"^附件\s*\d*\s*[:：]?\s*")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_TASK_HEADERS = {
    "code": "序号",
    "title": "任务名称",
    "lead": "牵头单位",
    "responsible": "责任单位",
    "due_date": "完成时限",
    "due_text": "完成时限",
    "text": "任务内容",
    "note": "备注",
    "title_en": "英文名称",
    "kind": "类型",
    "importance": "重要程度",
    "start_date": "开始日期",
    "units_illustrative": "分工为示例",
}
_INDICATOR_HEADERS = {name: header for header, name in INDICATOR_COLUMNS.items()}
_MILESTONE_HEADERS = {name: header for header, name in MILESTONE_COLUMNS.items()}
# What openpyxl or the sheet stream raise on a damaged file (ParseError: bad XML; ValueError includes defusedxml's
# refusals; IndexError: a shared string that is not there). All of them mean "not a workbook we can read".
_NOT_XLSX = (
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    NotImplementedError,
)


def chinese_number(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23 (up to 99); None for anything else."""
    if "十" not in text:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    tens, _sep, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    tens_value = _CN_DIGITS.get(tens, -1) if tens else 1
    ones_value = _CN_DIGITS.get(ones, -1) if ones else 0
    if tens_value < 1 or ones_value < 0:
        return None
    return tens_value * 10 + ones_value


def header_name(value: Any) -> str:
    """A header cell as a canonical column name (whitespace, line breaks and * markers ignored)."""
    name = re.sub(r"[\s*＊]+", "", unicodedata.normalize("NFKC", values.clean(value)))
    return HEADER_ALIASES.get(name, name)


def strip_attachment(title: str) -> str:
    """'附件：X' / '附件1：X' → 'X'."""
    return _ATTACHMENT.sub("", title.strip(), count=1).strip()


@dataclass(frozen=True)
class _Row:
    """One data row: the cells by column name, and where each came from."""

    number: int
    cells: dict[str, Any]
    letters: dict[str, str]
    sheet: str
    file: str

    def get(self, name: str) -> Any:
        return self.cells.get(name)

    def text(self, name: str) -> str:
        return values.clean(self.cells.get(name))

    def loc(self, name: str) -> Location:
        return Location(file=self.file, sheet=self.sheet, row=self.number, column=self.letters.get(name), header=name)

    @property
    def where(self) -> Location:
        return Location(file=self.file, sheet=self.sheet, row=self.number)

    @property
    def filled(self) -> list[Any]:
        return [value for value in self.cells.values() if values.clean(value)]


class _RowLocations(Mapping[str, Location]):
    """Field name → the cell it came from, built only when asked (a register has ~200,000 cells)."""

    __slots__ = ("_headers", "_row")

    def __init__(self, row: _Row, headers: Mapping[str, str]) -> None:
        self._row = row
        self._headers = headers

    def __getitem__(self, name: str) -> Location:
        return self._row.loc(self._headers[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


class _Table:
    """A sheet's cells (merged-down values repeated) with its header located."""

    def __init__(self, reader: _Reader, sheet: SheetData, *, two_row_header: bool) -> None:
        self.reader = reader
        self.name = sheet.title
        self.grid: list[list[Any]] = sheet.grid
        self.header_rows: list[int] = []
        self.columns: dict[str, int] = {}
        self._clear_merged(sheet)
        self._locate_header(two_row_header)
        self._fill_merged_down(sheet)

    def loc(self, row: int | None = None) -> Location:
        return Location(file=self.reader.file, sheet=self.name, row=row)

    def _known(self, row: list[Any], known: set[str]) -> set[str]:
        return {header_name(value) for value in row} & known

    def _locate_header(self, two_row_header: bool) -> None:
        """The header is the first row naming 序号 and another known column (main sheet) or two known
        columns (other sheets); failing that, the row naming most known columns, so the missing ones
        can be reported. A following row that names columns and has nothing under 序号 is a sub-header."""
        known = set(self.reader.known_headers)
        scanned = [(index, self._known(row, known)) for index, row in enumerate(self.grid[:_HEADER_SCAN_ROWS])]
        header = next(
            (index for index, names in scanned if len(names) >= 2 and ("序号" in names or not two_row_header)), None
        )
        if header is None:
            best = max(scanned, key=lambda item: len(item[1]), default=None)
            if best is None or len(best[1]) < 2:
                return
            header = best[0]
        self.header_rows = [header]
        top = [header_name(value) for value in self.grid[header]]
        below: list[str] = []
        if two_row_header and header + 1 < len(self.grid):
            candidate = [header_name(value) for value in self.grid[header + 1]]
            seq_column = top.index("序号") if "序号" in top else None
            if set(candidate) & known and (seq_column is None or not candidate[seq_column]):
                below = candidate
                self.header_rows.append(header + 1)
        for column, name in enumerate(top):
            sub = below[column] if column < len(below) else ""
            chosen = sub or name
            if chosen and chosen not in self.columns:
                self.columns[chosen] = column

    def _clear_merged(self, sheet: SheetData) -> None:
        # As Excel shows it (and openpyxl's full load reads it), a merged range holds only its top-left value.
        work = 0
        for min_col, min_row, max_col, max_row in sheet.merged:
            for row in range(min_row - 1, min(max_row, len(self.grid))):
                line = self.grid[row]
                first = min_col if row == min_row - 1 else min_col - 1
                stop = min(max_col, len(line))
                work += max(stop - first, 0)
                if work > self.reader.budget.limit:
                    self.reader.budget.charge(work, self.loc(row + 1))
                for column in range(first, stop):
                    line[column] = None

    def _fill_merged_down(self, sheet: SheetData) -> None:
        # A value merged over several rows belongs to each of them (a lead unit shared by three tasks);
        # 序号 is not repeated, so a merged 序号 never turns into duplicate tasks.
        if not self.header_rows:
            return
        first_data = self.header_rows[-1] + 1
        skip = self.columns.get("序号")
        for min_col, min_row, _max_col, max_row in sheet.merged:
            top, bottom, column = min_row - 1, max_row - 1, min_col - 1
            if bottom == top or top < first_data or column == skip or top >= len(self.grid):
                continue
            source = self.grid[top]
            value = source[column] if column < len(source) else None
            if value is None:
                continue
            for row in range(top + 1, min(bottom, len(self.grid) - 1) + 1):
                line = self.grid[row]
                if len(line) <= column:
                    self.reader.budget.charge(column + 1 - len(line), self.loc(row + 1))
                    line.extend([None] * (column + 1 - len(line)))
                line[column] = value

    def missing(self, required: tuple[str, ...]) -> list[str]:
        return [name for name in required if name not in self.columns]

    def rows(self) -> Iterator[_Row]:
        start = self.header_rows[-1] + 1 if self.header_rows else 0
        letters = {name: get_column_letter(column + 1) for name, column in self.columns.items()}
        for index in range(start, len(self.grid)):
            row = self.grid[index]
            cells = {name: row[column] if column < len(row) else None for name, column in self.columns.items()}
            yield _Row(number=index + 1, cells=cells, letters=letters, sheet=self.name, file=self.reader.file)


class _Reader:
    def __init__(self, path: Path, limits: XlsxLimits) -> None:
        self.path = path
        self.file = path.name
        self.limits = limits
        self.budget = CellBudget(limits.cells)
        self.log = ProblemLog()
        self.known_headers: tuple[str, ...] = ()
        self._column_plans: dict[tuple[int, frozenset[str]], list[tuple[str, str, Callable[[Any], Any], Any]]] = {}

    def convert(self, row: _Row, name: str, convert: Callable[[Any], Any], default: Any = None) -> Any:
        """Convert the cell *name* of *row*; on a bad value log a problem at that cell and return *default*."""
        try:
            return convert(row.get(name))
        except ValueError as exc:
            self.log.add(row.loc(name), str(exc), row.get(name))
            return default

    def read(self) -> PlanDocument:
        where = Location(file=self.file)
        sheets = self.load()
        main = next((sheet for title, sheet in sheets.items() if title not in SPECIAL_SHEETS), None)
        if main is None:
            raise PlanImportError([Problem(where, str(_("没有任务工作表")))])
        plan = self.plan_sheet(sheets[PLAN_SHEET]) if PLAN_SHEET in sheets else None
        tasks, title_hint = self.main_sheet(main)
        indicators = self.indicator_sheet(sheets[INDICATOR_SHEET]) if INDICATOR_SHEET in sheets else ()
        milestones = self.milestone_sheet(sheets[MILESTONE_SHEET]) if MILESTONE_SHEET in sheets else ()
        return PlanDocument(
            source=self.file,
            plan=plan,
            tasks=tasks,
            indicators=indicators,
            milestones=milestones,
            has_indicators=INDICATOR_SHEET in sheets,
            has_milestones=MILESTONE_SHEET in sheets,
            title_hint=title_hint or self.path.stem,
            where=where,
            problems=tuple(self.log.problems),
        )

    def load(self) -> dict[str, SheetData]:
        """The sheets the import reads (the main one, 方案, 指标, 节点), streamed within the limits; the others
        are never parsed. Any damage to the file is reported as "不是有效的 xlsx 文件"."""
        where = Location(file=self.file)
        check_archive(self.path, self.limits)
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            try:
                wanted = [ws for ws in workbook.worksheets if ws.title in SPECIAL_SHEETS]
                main = next((ws for ws in workbook.worksheets if ws.title not in SPECIAL_SHEETS), None)
                ordered = [ws for ws in workbook.worksheets if ws is main or ws in wanted]
                return {
                    ws.title: read_sheet(ws, file=self.file, budget=self.budget, limits=self.limits) for ws in ordered
                }
            finally:
                workbook.close()
        except _NOT_XLSX:
            raise not_xlsx(where) from None

    # -- main sheet -------------------------------------------------------------------------

    def main_sheet(self, worksheet: SheetData) -> tuple[tuple[TaskDoc, ...], str]:
        self.known_headers = (*MAIN_REQUIRED, *MAIN_OPTIONAL)
        table = _Table(self, worksheet, two_row_header=True)
        if not table.header_rows:
            self.log.add(table.loc(), _("找不到表头行（需要列：%(names)s）") % {"names": "、".join(MAIN_REQUIRED)})
            return (), ""
        header_row = table.header_rows[0] + 1
        for name in table.missing(MAIN_REQUIRED):
            self.log.add(table.loc(header_row), _("缺少必需的列“%(name)s”") % {"name": name}, name)
        if self.log:
            return (), ""
        title_hint = ""
        for row in table.grid[: table.header_rows[0]]:
            text = next((values.clean(value) for value in row if values.clean(value)), "")
            if text:
                title_hint = strip_attachment(text)
                break
        present = set(table.columns)
        tasks: list[TaskDoc] = []
        section: str | None = None
        after_blank = False
        for row in table.rows():
            filled = row.filled
            if not filled:
                after_blank = True
                continue
            raw = row.get("序号")
            seq = values.clean(raw)
            normalized = unicodedata.normalize("NFKC", seq)
            if _NOTE.match(normalized):
                continue  # a footnote, not a task
            match = _SECTION.match(normalized) if isinstance(raw, str) else None
            number = chinese_number(match["num"]) if match else None
            if match and number is not None:
                section = str(number)
                title = (match["title"] or "").strip() or row.text("任务名称")
                if not title:
                    self.log.add(row.loc("任务名称"), _("分节行缺少标题"), seq)
                    continue
                tasks.append(
                    TaskDoc(
                        where=row.where,
                        given=frozenset({"title"}),
                        locations={"code": row.loc("序号")},
                        code=section,
                        title=title,
                    )
                )
                continue
            code = self.task_code(raw, normalized, section) if seq else None
            if (
                code is None
                and after_blank
                and not any(row.text(name) for name in ("牵头单位", "责任单位", "完成时限"))
            ):
                continue  # text below the table after a blank line (a footnote, who filled it in): not a task
            if not seq:
                self.log.add(row.loc("序号"), _("序号为空（任务名称：%(title)s）") % {"title": row.text("任务名称")})
                continue
            if code is None:
                self.log.add(
                    row.loc("序号"), _("无法识别的序号（应为 1、2 或 3.2.1 这样的编号，或 一、二、 这样的分节）"), seq
                )
                continue
            tasks.append(self.task_row(row, code, present))
        if not tasks and not self.log:
            self.log.add(table.loc(), _("工作表中没有任务行"))
        return tuple(tasks), title_hint

    def task_code(self, raw: Any, normalized: str, section: str | None) -> str | None:
        """序号 → task code: a plain number joins the current section; a dotted code stands as written."""
        plain = _PLAIN_NUMBER.match(normalized)
        if plain:
            number = str(int(plain["n"]))
            return f"{section}.{number}" if section else number
        code = values.to_code(raw).rstrip("、").strip()
        return code if is_valid_code(code) else None

    def task_row(self, row: _Row, code: str, present: set[str]) -> TaskDoc:
        given = {"code", "title", "lead", "responsible", "due_date", "due_text"}
        title = row.text("任务名称")
        if not title:
            self.log.add(row.loc("任务名称"), _("任务名称为空"), code)
        due_date, due_text = self.convert(row, "完成时限", values.read_deadline, (None, ""))
        fields: dict[str, Any] = {}
        optional: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
            ("任务内容", "text", values.clean),
            ("备注", "note", values.clean),
            ("英文名称", "title_en", values.clean),
            ("类型", "kind", lambda v: values.to_choice(v, values.KIND_LABELS) if values.clean(v) else "qualitative"),
            (
                "重要程度",
                "importance",
                lambda v: values.to_choice(v, values.IMPORTANCE_LABELS) if values.clean(v) else "normal",
            ),
            ("开始日期", "start_date", lambda v: values.to_date(v) if values.clean(v) else None),
        )
        for header, name, convert in optional:
            if header in present:
                given.add(name)
                fields[name] = self.convert(row, header, convert, TaskDoc.__dataclass_fields__[name].default)
        if "分工为示例" in present and row.text("分工为示例"):
            given.add("units_illustrative")
            fields["units_illustrative"] = self.convert(row, "分工为示例", values.to_bool)
        return TaskDoc(
            where=row.where,
            given=frozenset(given),
            locations=_RowLocations(row, _TASK_HEADERS),
            code=code,
            title=title,
            lead=row.text("牵头单位"),
            responsible=tuple(split_unit_names(row.text("责任单位"))),
            due_date=due_date,
            due_text=due_text,
            **fields,
        )

    # -- optional sheets --------------------------------------------------------------------

    def plan_sheet(self, worksheet: SheetData) -> PlanDoc:
        converters: dict[str, Callable[[Any], Any]] = {
            "issued_date": lambda v: values.to_date(v) if values.clean(v) else None,
            "start_date": values.to_date,
            "end_date": values.to_date,
            "cadence": lambda v: values.to_choice(v, values.CADENCE_LABELS),
            "status": lambda v: values.to_choice(v, values.PLAN_STATUS_LABELS),
            "units_illustrative": values.to_bool,
        }
        fields: dict[str, Any] = {}
        at: dict[str, Location] = {}
        for index, row in enumerate(worksheet.grid, start=1):
            key = header_name(row[0] if row else None)
            value = row[1] if len(row) > 1 else None
            if not key or key in ("项目", "字段"):
                continue
            where = Location(file=self.file, sheet=worksheet.title, row=index, column="B", header=key)
            name = PLAN_KEYS.get(key)
            if name is None:
                self.log.add(
                    where.with_column("A", key),
                    _("未知项目（可用：%(keys)s）") % {"keys": "、".join(PLAN_KEYS)},
                    key,
                )
                continue
            if name in at:
                self.log.add(where.with_column("A", key), _("项目重复（已在第%(row)d行）") % {"row": at[name].row}, key)
                continue
            at[name] = where
            if not values.clean(value) and name in _PLAN_KEYS_NEVER_EMPTY:
                continue  # left blank: the sheet says nothing about it
            try:
                fields[name] = converters.get(name, values.to_code if name == "code" else values.clean)(value)
            except ValueError as exc:
                self.log.add(where, str(exc), value)
        return PlanDoc(
            where=Location(file=self.file, sheet=worksheet.title),
            given=frozenset(fields),
            locations=at,
            **fields,
        )

    def columns_of(
        self, columns: Mapping[str, str], present: set[str], record: type, converters: dict[str, Callable[[Any], Any]]
    ) -> list[tuple[str, str, Callable[[Any], Any], Any]]:
        """(header, field, converter, default) for each column the sheet has; worked out once per sheet."""
        key = (id(columns), frozenset(present))
        if key not in self._column_plans:
            self._column_plans[key] = [
                (header, name, converters.get(name, values.clean), record.__dataclass_fields__[name].default)
                for header, name in columns.items()
                if name in present
            ]
        return self._column_plans[key]

    def _records(
        self, worksheet: SheetData, columns: dict[str, str], required: tuple[str, ...], ignored: tuple[str, ...] = ()
    ) -> Iterator[tuple[_Row, set[str]]]:
        self.known_headers = (*columns, *ignored)
        table = _Table(self, worksheet, two_row_header=False)
        if not table.header_rows:
            self.log.add(table.loc(), _("找不到表头行（需要列：%(names)s）") % {"names": "、".join(required)})
            return
        for name in table.missing(required):
            self.log.add(table.loc(table.header_rows[0] + 1), _("缺少必需的列“%(name)s”") % {"name": name}, name)
        if self.log:
            return
        present = {columns[name] for name in table.columns if name in columns}
        for row in table.rows():
            if not row.filled:
                continue
            empty = [name for name in required if not row.text(name)]
            for name in empty:
                self.log.add(row.loc(name), _("必填项为空"))
            if not empty:
                yield row, present

    def indicator_sheet(self, worksheet: SheetData) -> tuple[IndicatorDoc, ...]:
        converters: dict[str, Callable[[Any], Any]] = {
            "task_code": values.to_code,
            "code": values.to_code,
            "direction": lambda v: values.to_choice(v, values.DIRECTION_LABELS) if values.clean(v) else "higher",
            "baseline_year": values.to_year,
            "baseline_value": values.to_decimal,
            "baseline_illustrative": values.to_bool,
            "target_year": values.to_year,
            "target_value": values.to_decimal,
            "interim": values.parse_interim,
            "interim_illustrative": values.to_bool,
        }
        indicators: list[IndicatorDoc] = []
        for row, present in self._records(worksheet, INDICATOR_COLUMNS, INDICATOR_REQUIRED):
            columns = self.columns_of(INDICATOR_COLUMNS, present, IndicatorDoc, converters)
            fields = {name: self.convert(row, header, convert, default) for header, name, convert, default in columns}
            indicators.append(
                IndicatorDoc(
                    where=row.where,
                    given=frozenset(present | {"order"}),
                    locations=_RowLocations(row, _INDICATOR_HEADERS),
                    order=len(indicators) + 1,
                    **fields,
                )
            )
        return tuple(indicators)

    def milestone_sheet(self, worksheet: SheetData) -> tuple[MilestoneDoc, ...]:
        def weight(value: Any) -> Decimal:
            number = values.to_decimal(value, places=2) if values.clean(value) else Decimal(1)
            if number <= 0:
                raise ValueError(_("权重须大于 0"))
            return number

        converters: dict[str, Callable[[Any], Any]] = {
            "task_code": values.to_code,
            "code": values.to_code,
            "due_date": values.to_deadline_date,
            "original_due_date": lambda v: values.to_deadline_date(v) if values.clean(v) else None,
            "weight": weight,
            "target_value": lambda v: values.to_decimal(v) if values.clean(v) else None,
        }
        milestones: list[MilestoneDoc] = []
        order: dict[str, int] = {}
        for row, present in self._records(worksheet, MILESTONE_COLUMNS, MILESTONE_REQUIRED, MILESTONE_IGNORED):
            columns = self.columns_of(MILESTONE_COLUMNS, present, MilestoneDoc, converters)
            fields = {name: self.convert(row, header, convert, default) for header, name, convert, default in columns}
            given = set(present)
            if fields.get("original_due_date") is None:
                given.discard("original_due_date")
            task_code = fields.get("task_code", "")
            order[task_code] = order.get(task_code, 0) + 1
            milestones.append(
                MilestoneDoc(
                    where=row.where,
                    given=frozenset(given | {"order"}),
                    locations=_RowLocations(row, _MILESTONE_HEADERS),
                    order=order[task_code],
                    **fields,
                )
            )
        return tuple(milestones)


def read_xlsx(path: Path, *, limits: XlsxLimits = XLSX_LIMITS) -> PlanDocument:
    """Read and check a 台账 workbook. Problems with single values are in ``problems`` of the result;
    a file that cannot be read at all, or that breaks one of *limits* (rows, columns, cells, sizes:
    :mod:`tasks.importing.xlsx_guard`), raises :class:`PlanImportError`."""
    return _Reader(path, limits).read()
