"""Exporting a register to an Excel 台账 and importing it back gives the same register."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from tasks.demo import CHONGQING_PLAN_CODE, CHONGQING_PLAN_FILE
from tasks.importing.apply import plan_import
from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db

PLAN_FIELDS = (
    "code",
    "title",
    "title_en",
    "issuer",
    "issued_date",
    "start_date",
    "end_date",
    "cadence",
    "status",
    "units_illustrative",
    "note",
)
TASK_FIELDS = (
    "title",
    "title_en",
    "text",
    "kind",
    "importance",
    "units_illustrative",
    "start_date",
    "due_date",
    "due_text",
    "note",
    "depth",
    "sort_key",
)
INDICATOR_FIELDS = (
    "name",
    "name_en",
    "unit_of_measure",
    "direction",
    "baseline_year",
    "baseline_value",
    "baseline_illustrative",
    "target_year",
    "target_value",
    "target_text",
    "source",
    "order",
)
MILESTONE_FIELDS = ("title", "due_date", "original_due_date", "weight", "target_value", "order")


def register(code: str) -> dict[str, Any]:
    """A canonical dump of one plan's register: everything import/export must carry, keyed by codes."""
    plan = Plan.objects.get(code=code)
    tasks = {}
    for task in PlanTask.objects.filter(plan=plan).select_related("parent", "lead_unit"):
        tasks[task.code] = {
            **{name: getattr(task, name) for name in TASK_FIELDS},
            "parent": task.parent.code if task.parent else None,
            "lead": task.lead_unit.short_name if task.lead_unit else None,
            "responsible": [
                tu.unit.short_name for tu in task.task_units.select_related("unit").order_by("order", "id")
            ],
        }
    indicators = {
        indicator.code: {
            **{name: getattr(indicator, name) for name in INDICATOR_FIELDS},
            "task": indicator.task.code,
            "interim": [(t.year, t.value, t.illustrative) for t in indicator.interim_targets.order_by("year")],
        }
        for indicator in Indicator.objects.filter(plan=plan).select_related("task")
    }
    milestones = {
        (milestone.task.code, milestone.code): {
            **{name: getattr(milestone, name) for name in MILESTONE_FIELDS},
            "owner": milestone.owner_unit.short_name if milestone.owner_unit else None,
        }
        for milestone in Milestone.objects.filter(task__plan=plan).select_related("task", "owner_unit")
    }
    return {
        "plan": {name: getattr(plan, name) for name in PLAN_FIELDS},
        "tasks": tasks,
        "indicators": indicators,
        "milestones": milestones,
    }


def round_trip(code: str, path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    before = register(code)
    call_command("export_plan", code, "-o", str(path), stdout=StringIO())
    Plan.objects.filter(code=code).delete()
    assert not PlanTask.objects.filter(plan__code=code).exists()
    plan_import(source=path)
    return before, register(code)


@pytest.fixture
def factory_plan() -> Plan:
    """A small register that uses every field the 台账 carries, including awkward values."""
    plan = make_plan(
        "factory-plan",
        title="工厂方案",
        title_en="Factory plan",
        issuer="市政府",
        issued_date=date(2023, 5, 6),
        cadence=Plan.Cadence.MONTHLY,
        status=Plan.Status.DRAFT,
        units_illustrative=True,
        note="说明\n第二行",
    )
    part = make_task(
        plan, "1", lead=None, title="第一部分", text="", importance=PlanTask.Importance.MAJOR, due_date=None
    )
    first = make_task(
        plan,
        "1.1",
        parent=part,
        responsible=("江北区", "市发展改革委", "两江新区"),
        kind=PlanTask.Kind.INDICATOR,
        title_en="First",
        start_date=date(2024, 2, 1),
        due_date=date(2025, 12, 31),
        due_text="2025年底",
        note="备注：含“引号”",
        units_illustrative=True,
    )
    make_task(
        plan, "1.10", parent=part, lead="市科技局", due_date=None, due_text="持续推进", kind=PlanTask.Kind.DELIVERABLE
    )
    make_task(plan, "1.2", parent=part, lead="渝北区", due_date=date(2026, 6, 30), due_text="")
    indicator = make_indicator(
        first,
        "I-1",
        interim={2024: "12.5", 2025: "15"},
        direction=Indicator.Direction.LOWER,
        name_en="Energy",
        baseline_value=Decimal("20.1234"),
        target_value=Decimal("13"),
        target_text="下降13%",
        source="市统计局",
        baseline_illustrative=True,
        order=1,
    )
    IndicatorTarget.objects.filter(indicator=indicator).update(illustrative=True)
    make_milestone(
        first,
        "1",
        date(2024, 12, 31),
        "40",
        order=1,
        original_due_date=date(2024, 6, 30),
        target_value=Decimal("50"),
        owner_unit=Unit.objects.get(short_name="江北区"),
    )
    make_milestone(first, "2", date(2025, 12, 31), "60.5", order=2)
    return plan


def test_factory_register_survives_export_delete_import(factory_plan, tmp_path):
    before, after = round_trip("factory-plan", tmp_path / "factory.xlsx")

    assert after == before


def test_the_chongqing_plan_survives_export_delete_import(tmp_path):
    plan_import(source=CHONGQING_PLAN_FILE)

    before, after = round_trip(CHONGQING_PLAN_CODE, tmp_path / "cq.xlsx")

    assert len(before["tasks"]) >= 60 and len(before["indicators"]) >= 22
    assert after == before


def test_reimporting_an_export_over_the_same_register_changes_nothing(factory_plan, tmp_path):
    path = tmp_path / "again.xlsx"
    call_command("export_plan", "factory-plan", "-o", str(path), stdout=StringIO())

    report = plan_import(source=path)

    assert not report.changed and report.not_in_file == ()


def test_export_lays_out_the_taizhang_with_title_two_row_header_and_extra_sheets(factory_plan, tmp_path):
    path = tmp_path / "layout.xlsx"
    out = StringIO()

    call_command("export_plan", "factory-plan", "-o", str(path), stdout=out)

    assert "factory-plan" in out.getvalue() and "layout.xlsx" in out.getvalue()
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["任务", "方案", "指标", "节点"]
    sheet = workbook["任务"]
    assert sheet["A1"].value == "工厂方案" and sheet["A1"].font.bold
    assert [sheet.cell(row=2, column=c).value for c in range(1, 8)] == [
        "序号",
        "任务名称",
        "任务内容",
        "责任分工",
        None,
        "完成时限",
        "备注",
    ]
    assert (sheet["D3"].value, sheet["E3"].value) == ("牵头单位", "责任单位")
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"D2:E2", "A2:A3", "F2:F3"}
    assert sheet.freeze_panes == "C4" and sheet["B2"].font.bold and sheet["C4"].alignment.wrap_text
    codes = [sheet.cell(row=r, column=1).value for r in range(4, sheet.max_row + 1)]
    assert codes == ["1", "1.1", "1.2", "1.10"]  # text, in natural order
    row = {
        sheet.cell(row=3, column=c).value or sheet.cell(row=2, column=c).value: sheet.cell(row=5, column=c).value
        for c in range(1, sheet.max_column + 1)
    }
    assert row["责任单位"] == "江北区、市发展改革委、两江新区"
    assert (row["牵头单位"], row["完成时限"], row["类型"], row["分工为示例"]) == (
        "市经济信息委",
        "2025年底",
        "指标类",
        "是",
    )
    assert workbook["指标"]["M2"].value == "2024:12.5；2025:15"


def test_export_of_an_unknown_plan_fails(tmp_path):
    with pytest.raises(CommandError, match="no-such-plan"):
        call_command("export_plan", "no-such-plan", "-o", str(tmp_path / "x.xlsx"), stdout=StringIO())


FORMULAS = ('=HYPERLINK("http://example.invalid/","点我")', "=cmd|' /C calc'!A0", "+1+2", "-3+4", "@SUM(1,2)",
            "\t=1+1", "\r=2")


def test_text_that_looks_like_a_formula_is_exported_as_text_and_reads_back_unchanged(factory_plan, tmp_path):
    """Issue 7, item 7: formula injection on export."""
    tasks = list(PlanTask.objects.filter(plan=factory_plan).exclude(depth=0).order_by("sort_key"))
    for task, formula in zip(tasks, FORMULAS, strict=False):
        PlanTask.objects.filter(pk=task.pk).update(title=f"{formula}", note=formula)
    path = tmp_path / "formulas.xlsx"
    call_command("export_plan", "factory-plan", "-o", str(path), stdout=StringIO())

    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert not any("<f>" in xml or "<f " in xml for xml in sheets), "no cell is a formula"
    cells = [cell for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for cell in row]
    written = [cell for cell in cells if isinstance(cell.value, str) and cell.value in FORMULAS]
    assert written and all(cell.data_type == "s" and cell.quotePrefix for cell in written)

    before, after = round_trip("factory-plan", path)
    assert after == before
    assert {t.title for t in PlanTask.objects.filter(plan__code="factory-plan")} >= set(FORMULAS[:len(tasks)])
