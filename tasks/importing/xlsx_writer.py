"""Write a plan's register as an Excel 台账 that ``import_plan`` reads back unchanged.

The main sheet has a title row, the two-row header (责任分工 merged over 牵头单位 / 责任单位)
and one row per task (parts included; 序号 is the full code as text). The sheets 方案, 指标
and 节点 carry the rest of the register. Read-only: callers decide who may export.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from django.db.models import Prefetch
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tasks.importing import values
from tasks.importing.xlsx_reader import (
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    MILESTONE_COLUMNS,
    MILESTONE_SHEET,
    PLAN_SHEET,
)
from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask, TaskUnit

MAIN_SHEET = "任务"
# (header, width); 牵头单位 and 责任单位 sit under the merged 责任分工.
MAIN_COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 9),
    ("任务名称", 28),
    ("任务内容", 60),
    ("牵头单位", 16),
    ("责任单位", 36),
    ("完成时限", 14),
    ("备注", 30),
    ("类型", 9),
    ("重要程度", 9),
    ("开始日期", 12),
    ("英文名称", 30),
    ("分工为示例", 10),
    ("状态", 9),
    ("完成日期", 12),
)
_GROUP_HEADER = "责任分工"
_WRAP_FROM_WIDTH = 24
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)


def _yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def _style_header(cells: list[Any]) -> None:
    for cell in cells:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER


def _wrap(sheet: Worksheet, *, min_row: int, columns: list[int]) -> None:
    # Styling every cell costs seconds on a province-scale register; only the long-text columns need wrapping
    # (openpyxl gives date cells a date format by itself).
    for column in columns:
        for (cell,) in sheet.iter_rows(min_row=min_row, min_col=column, max_col=column):
            cell.alignment = _WRAP


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _write_rows(sheet: Worksheet, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
    sheet.append(headers)
    _style_header(list(sheet[1]))
    for row in rows:
        sheet.append(row)
    _wrap(sheet, min_row=2, columns=[i for i, w in enumerate(widths, start=1) if w >= _WRAP_FROM_WIDTH])
    sheet.freeze_panes = "C2"
    _widths(sheet, widths)


def _main_sheet(sheet: Worksheet, plan: Plan, tasks: list[PlanTask], responsible: dict[int, list[str]]) -> None:
    width = len(MAIN_COLUMNS)
    sheet.title = MAIN_SHEET
    sheet.cell(row=1, column=1, value=plan.title).font = _TITLE
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.row_dimensions[1].height = 30
    lead_column = [name for name, _width in MAIN_COLUMNS].index("牵头单位") + 1
    for column, (name, _width) in enumerate(MAIN_COLUMNS, start=1):
        if column == lead_column:
            sheet.cell(row=2, column=column, value=_GROUP_HEADER)
            sheet.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + 1)
        if column in (lead_column, lead_column + 1):
            sheet.cell(row=3, column=column, value=name)
        else:
            sheet.cell(row=2, column=column, value=name)
            sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    _style_header([cell for row in sheet.iter_rows(min_row=2, max_row=3) for cell in row])
    for task in tasks:
        sheet.append(
            [
                task.code,
                task.title,
                task.text,
                task.lead_unit.short_name if task.lead_unit else "",
                "、".join(responsible.get(task.pk, [])),
                values.write_deadline(task.due_date, task.due_text),
                task.note,
                values.KIND_LABELS[task.kind],
                values.IMPORTANCE_LABELS[task.importance],
                task.start_date,
                task.title_en,
                _yes_no(task.units_illustrative),
                values.TASK_STATUS_LABELS[task.status],
                task.completed_date,
            ]
        )
    _wrap(sheet, min_row=4, columns=[i for i, (_n, w) in enumerate(MAIN_COLUMNS, start=1) if w >= _WRAP_FROM_WIDTH])
    for (cell,) in sheet.iter_rows(min_row=4, max_col=1):
        cell.number_format = "@"  # the code is text: "1.10" must not become 1.1
        if "." not in cell.value:
            cell.font = _BOLD
    sheet.freeze_panes = "C4"
    _widths(sheet, [width for _name, width in MAIN_COLUMNS])


def _plan_sheet(sheet: Worksheet, plan: Plan) -> None:
    rows = [
        ["代码", plan.code],
        ["名称", plan.title],
        ["英文名称", plan.title_en],
        ["印发单位", plan.issuer],
        ["印发日期", plan.issued_date],
        ["开始日期", plan.start_date],
        ["结束日期", plan.end_date],
        ["报送周期", values.CADENCE_LABELS[plan.cadence]],
        ["状态", values.PLAN_STATUS_LABELS[plan.status]],
        ["单位分工为示例", _yes_no(plan.units_illustrative)],
        ["说明", plan.note],
    ]
    _write_rows(sheet, ["项目", "内容"], rows, [16, 80])
    sheet.freeze_panes = "A2"


def _indicator_sheet(sheet: Worksheet, indicators: list[Indicator]) -> None:
    rows = []
    for indicator in indicators:
        targets = list(indicator.interim_targets.all())
        rows.append(
            [
                indicator.task.code,
                indicator.code,
                indicator.name,
                indicator.name_en,
                indicator.unit_of_measure,
                values.DIRECTION_LABELS[indicator.direction],
                indicator.baseline_year,
                indicator.baseline_value,
                _yes_no(indicator.baseline_illustrative),
                indicator.target_year,
                indicator.target_value,
                indicator.target_text,
                values.format_interim([(t.year, t.value) for t in targets]),
                _yes_no(any(t.illustrative for t in targets)),
                indicator.source,
            ]
        )
    _write_rows(sheet, list(INDICATOR_COLUMNS), rows, [9, 9, 36, 30, 10, 10, 9, 10, 10, 9, 10, 24, 30, 10, 16])


def _milestone_sheet(sheet: Worksheet, milestones: list[Milestone]) -> None:
    rows = [
        [
            milestone.task.code,
            milestone.code,
            milestone.title,
            milestone.due_date,
            milestone.original_due_date,
            milestone.weight,
            milestone.target_value,
            milestone.owner_unit.short_name if milestone.owner_unit else "",
            values.MILESTONE_STATUS_LABELS[milestone.status],
            milestone.completed_date,
        ]
        for milestone in milestones
    ]
    _write_rows(sheet, [*MILESTONE_COLUMNS, "状态", "完成日期"], rows, [9, 9, 44, 13, 13, 8, 10, 16, 9, 12])
    for row in sheet.iter_rows(min_row=2, max_col=2):
        for cell in row:
            cell.number_format = "@"


# What a spreadsheet reads as the start of a formula (OWASP's list for CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cells_stay_text(workbook: Workbook) -> None:
    """Every text cell that a spreadsheet would run as a formula (a title such as ``=HYPERLINK(…)``) is written as
    text, with the quote prefix Excel shows for typed-in text: nothing runs, and the value reads back unchanged."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def plan_workbook(*, plan: Plan) -> Workbook:
    """The whole register of *plan* as a workbook (a constant number of queries)."""
    tasks = list(PlanTask.objects.filter(plan=plan).select_related("lead_unit").order_by("sort_key"))
    responsible: dict[int, list[str]] = defaultdict(list)
    for task_id, short_name in (
        TaskUnit.objects.filter(task__plan=plan)
        .order_by("task_id", "order", "id")
        .values_list("task_id", "unit__short_name")
    ):
        responsible[task_id].append(short_name)
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .select_related("task")
        .prefetch_related(Prefetch("interim_targets", queryset=IndicatorTarget.objects.order_by("year")))
        .order_by("order", "code")
    )
    milestones = list(
        Milestone.objects.filter(task__plan=plan)
        .select_related("task", "owner_unit")
        .order_by("task__sort_key", "order", "due_date", "code")
    )
    workbook = Workbook()
    _main_sheet(workbook.active, plan, tasks, responsible)
    _plan_sheet(workbook.create_sheet(PLAN_SHEET), plan)
    _indicator_sheet(workbook.create_sheet(INDICATOR_SHEET), indicators)
    _milestone_sheet(workbook.create_sheet(MILESTONE_SHEET), milestones)
    text_cells_stay_text(workbook)
    return workbook


def plan_export(*, plan: Plan, path: Path) -> Path:
    """Write the register of *plan* to *path* (.xlsx). Read-only on the database; overwrites the file."""
    path = Path(path)
    plan_workbook(plan=plan).save(path)
    return path
