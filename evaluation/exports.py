"""The ranking and the task-light board as .xlsx, in Chinese whatever the reader's language: they are the documents
circulated to units. The ranking: one sheet per track, Chinese headers, each row's colour as its cell fill (drawn
from the rule set's palette), the plan, period, version, as-of and rule set in the title rows. The board: one row per
task, worst first. Both read what the selectors give (the caller scopes it)."""

from __future__ import annotations

from collections import defaultdict
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from evaluation.models import Evaluation, UnitResult
from evaluation.rules import Colour, RuleSpec
from evaluation.rules.reasons import worded
from tasks.importing.xlsx_writer import text_cells_stay_text

HEADERS = ("排名", "单位", "代码", "得分", "颜色", "F1 指标", "F2 进度", "F3 过程", "F4 评分", "加分", "减分",
           "一票否决", "名次变化", "得分变化")  # fmt: skip


def _number(value):
    return None if value in (None, "") else float(value)


def ranking_workbook(*, evaluation: Evaluation, rows: list[UnitResult]) -> bytes:
    """The workbook's bytes for ``rows`` (already scoped and ordered by track, rank, unit code)."""
    spec = RuleSpec.from_data(evaluation.spec)
    workbook = Workbook()
    workbook.remove(workbook.active)
    by_track: dict[str, list[UnitResult]] = defaultdict(list)
    names: dict[str, str] = {}
    for row in rows:
        key = row.track.code if row.track_id else "-"
        by_track[key].append(row)
        names[key] = row.track.name if row.track_id else "未分赛道"
    for key, results in by_track.items():
        sheet = workbook.create_sheet(title=names[key][:31])
        sheet.append([f"{evaluation.plan.title} {evaluation.period} 赛马比拼（{names[key]}）"])
        status = "已发布" if evaluation.status == Evaluation.Status.PUBLISHED else "草稿，未发布"
        sheet.append([f"第 {evaluation.version} 版；数据截至 {evaluation.as_of.isoformat()}；"
                      f"评价规则 {evaluation.rule_set.code} v{evaluation.rule_set.version}；{status}"])  # fmt: skip
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(list(HEADERS))
        for cell in sheet[3]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for result in results:
            breakdown = result.breakdown or {}
            components = breakdown.get("components", {})
            swatch = spec.swatch(Colour(result.colour))
            sheet.append([
                result.rank, result.unit.short_name or result.unit.name, result.unit.code, float(result.score),
                swatch.label, *(_number(components.get(name)) for name in ("F1", "F2", "F3", "F4")),
                _number(breakdown.get("bonus")), _number(breakdown.get("deductions")),
                "是" if result.veto else "", result.rank_change,
                None if result.score_change is None else float(result.score_change),
            ])  # fmt: skip
            sheet.cell(row=sheet.max_row, column=5).fill = PatternFill("solid", fgColor=swatch.hex.lstrip("#").upper())
        for column, width in zip("ABCDEFGHIJKLMN", (6, 18, 12, 8, 8, 8, 8, 8, 8, 6, 6, 8, 8, 8), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "A4"
    if not workbook.sheetnames:
        workbook.create_sheet(title="排名")
    text_cells_stay_text(workbook)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


LIGHT_HEADERS = ("灯色", "任务", "名称", "牵头单位", "序时进度", "实际进度", "逾期天数", "未报送轮次", "原因",
                 "督查调整")  # fmt: skip
LIGHT_WORDS = {"blue": "已完成", "green": "正常推进", "yellow": "需关注", "orange": "滞后", "red": "严重滞后",
               "grey": "未启动"}  # fmt: skip


def light_board_workbook(*, board) -> bytes:
    """The task-light board (``evaluation.board.light_board``, already scoped and filtered) as a workbook: one row
    per task, worst first, the light as its cell's fill from the rule spec's palette, reasons in words."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "任务亮灯"
    sheet.append([f"任务亮灯（截至 {board.as_of.isoformat()}，按已通过的报告计算）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(LIGHT_HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in board.rows:
        light, task = row.light, row.task
        moved = row.override
        override = moved and f"{LIGHT_WORDS.get(moved.colour, moved.colour)}：{moved.reason}"
        sheet.append([
            LIGHT_WORDS.get(light.colour, light.colour), task.code, task.title,
            task.lead_unit.short_name if task.lead_unit else "", float(light.expected), float(light.actual),
            light.overdue_days, light.missed_rounds, "；".join(worded(light.reasons)), override or "",
        ])  # fmt: skip
        swatch = board.spec.swatch(Colour(light.colour))
        sheet.cell(row=sheet.max_row, column=1).fill = PatternFill("solid", fgColor=swatch.hex.lstrip("#").upper())
    for column, width in zip("ABCDEFGHIJ", (10, 10, 36, 14, 9, 9, 9, 10, 60, 30), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    text_cells_stay_text(workbook)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
