"""Importing an Excel 台账: the field sample, upserts, dry runs, and every kind of bad file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from tasks.importing.apply import plan_import
from tasks.importing.errors import PlanImportError
from tasks.models import AuditEvent, Indicator, Milestone, Plan, PlanTask, TaskUnit
from tests.factories import make_plan, make_task
from units.models import Unit

pytestmark = pytest.mark.django_db

# A copy of shared/samples/taizhang-two-row-header.xlsx, the 台账 as agencies circulate it.
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taizhang-two-row-header.xlsx"
HEADER_TOP = ["序号", "任务名称", "任务内容", "责任分工", None, "完成时限", "备注"]
HEADER_SUB = [None, None, None, "牵头单位", "责任单位", None, None]


def taizhang(
    path: Path,
    rows: list[list[Any]],
    *,
    title: str | None = "附件1：测试台账",
    header: tuple[list[Any], ...] = (HEADER_TOP, HEADER_SUB),
    sheets: dict[str, list[list[Any]]] | None = None,
    edit: Callable[[Any], None] | None = None,
) -> Path:
    """Write a 台账 the way agencies lay it out: title row, blank row, two-row header, rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "重点任务"
    if title is not None:
        sheet.append([title])
        sheet.append([])
    first_header = 3 if title is not None else 1
    for line in header:
        sheet.append(line)
    if len(header) == 2:
        sheet.merge_cells(start_row=first_header, start_column=4, end_row=first_header, end_column=5)
        for column in (1, 2, 3, 6, 7):
            sheet.merge_cells(start_row=first_header, start_column=column, end_row=first_header + 1, end_column=column)
    for row in rows:
        sheet.append(row)
    if edit is not None:
        edit(sheet)
    for name, lines in (sheets or {}).items():
        extra = workbook.create_sheet(name)
        for line in lines:
            extra.append(line)
    workbook.save(path)
    return path


def _short_names(task: PlanTask) -> list[str]:
    return [tu.unit.short_name for tu in task.task_units.select_related("unit").order_by("order")]


def _nothing_written() -> None:
    assert not Plan.objects.exists()
    assert not PlanTask.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.import").exists()


def _fails(path: Path, **kwargs: Any) -> str:
    with pytest.raises(PlanImportError) as caught:
        plan_import(source=path, plan_code=kwargs.pop("plan_code", "p"), **kwargs)
    return str(caught.value)


# --- the field sample -------------------------------------------------------------------


def test_field_sample_imports_sections_as_parents_and_numbers_within_them():
    report = plan_import(source=SAMPLE, plan_code="sample-2025")

    plan = Plan.objects.get(code="sample-2025")
    tasks = {task.code: task for task in PlanTask.objects.filter(plan=plan).select_related("parent", "lead_unit")}
    assert list(tasks) == ["1", "1.1", "1.2", "2", "2.3", "2.4"]
    assert (tasks["1"].title, tasks["2"].title) == ("智能网联新能源汽车", "绿色低碳转型")
    assert tasks["1.1"].parent == tasks["1"] and tasks["2.4"].parent == tasks["2"]
    assert tasks["1"].parent is None and tasks["2.3"].depth == 1
    assert report.counts["tasks"].created == 6
    # The title row names the plan ("附件：" dropped); the period spans the deadline years.
    assert plan.title == "2025年制造业高质量发展重点任务分解表（示例）"
    assert (plan.start_date, plan.end_date) == (date(2025, 1, 1), date(2027, 12, 31))


def test_field_sample_units_match_by_full_short_and_colloquial_names_in_file_order():
    plan_import(source=SAMPLE, plan_code="sample-2025")

    tasks = {task.code: task for task in PlanTask.objects.select_related("lead_unit")}
    assert tasks["1.1"].lead_unit.short_name == "市经济信息委"
    assert _short_names(tasks["1.1"]) == ["市发展改革委", "两江新区", "江北区"]  # "等" dropped
    assert tasks["2.3"].lead_unit.short_name == "市经济信息委"  # written 市经信委
    assert _short_names(tasks["2.3"]) == ["市生态环境局", "涪陵区", "长寿区"]
    assert _short_names(tasks["2.4"]) == ["市生态环境局", "市发展改革委"]
    districts = Unit.objects.filter(kind__in=Unit.DISTRICT_KINDS).count()
    assert districts == 38
    assert _short_names(tasks["1.2"])[0] == "市住房城乡建委"
    assert len(_short_names(tasks["1.2"])) == 1 + districts  # 各区县 = every district and county


def test_field_sample_deadlines_keep_the_words_and_footnote_is_not_a_task():
    plan_import(source=SAMPLE, plan_code="sample-2025")

    due = {task.code: (task.due_date, task.due_text) for task in PlanTask.objects.all()}
    assert due["1.1"] == (date(2025, 12, 31), "2025年底")
    assert due["1.2"] == (None, "持续推进")
    assert due["2.3"] == (date(2027, 12, 31), "2027年")
    assert due["2.4"] == (date(2026, 6, 30), "2026年6月底")
    assert PlanTask.objects.get(code="1.2").note == "按季度报送"
    assert not PlanTask.objects.filter(title__startswith="注").exists()
    assert PlanTask.objects.count() == 6


def test_importing_the_sample_twice_changes_nothing_and_audits_each_import_once():
    plan_import(source=SAMPLE, plan_code="sample-2025")
    before = list(PlanTask.objects.values_list("code", "updated_at"))

    report = plan_import(source=SAMPLE, plan_code="sample-2025")

    assert report.total().created == 0 and report.total().updated == 0
    assert report.counts["tasks"].unchanged == 6
    assert list(PlanTask.objects.values_list("code", "updated_at")) == before
    events = AuditEvent.objects.filter(action="plan.import")
    assert events.count() == 2
    event = events.first()
    assert event.comment == SAMPLE.name
    assert event.after["file"] == SAMPLE.name and event.after["tasks"] == {"created": 0, "updated": 0, "unchanged": 6}


def test_the_audit_event_names_the_supervisor_who_imported(sam):
    plan_import(source=SAMPLE, plan_code="sample-2025", actor=sam)

    event = AuditEvent.objects.get(action="plan.import")
    assert (event.actor, event.plan.code, event.object_type) == (sam, "sample-2025", "plan")


def test_dry_run_reports_what_would_be_created_and_writes_nothing():
    report = plan_import(source=SAMPLE, plan_code="sample-2025", dry_run=True)

    assert report.dry_run and report.counts["tasks"].created == 6 and report.counts["plan"].created == 1
    _nothing_written()


def test_dry_run_lists_field_changes_as_old_to_new_and_leaves_them_unwritten(tmp_path):
    plan = make_plan("p")
    make_task(plan, "1", title="旧名称", lead="市科技局", due_date=date(2025, 12, 31), due_text="2025年底")
    path = taizhang(tmp_path / "t.xlsx", [[1, "新名称", "内容", "市科技局", "", "2025年底", ""]])

    report = plan_import(source=path, plan_code="p", dry_run=True)

    assert report.counts["tasks"].updated == 1
    assert any(c.key == "1" and c.old == "旧名称" and c.new == "新名称" for c in report.changes)
    assert PlanTask.objects.get(code="1").title == "旧名称"


def test_a_changed_cell_updates_that_task_and_sets_units_to_exactly_the_files_list(tmp_path):
    rows = [
        [1, "任务一", "", "市经济信息委", "市科技局、市财政局", "2025年底", ""],
        [2, "任务二", "", "市经济信息委", "市科技局", "2026年", ""],
    ]
    plan_import(source=taizhang(tmp_path / "a.xlsx", rows), plan_code="p")
    rows[0][4] = "市财政局、市商务委"

    report = plan_import(source=taizhang(tmp_path / "b.xlsx", rows), plan_code="p")

    assert (report.counts["tasks"].updated, report.counts["tasks"].unchanged) == (1, 1)
    assert _short_names(PlanTask.objects.get(code="1")) == ["市财政局", "市商务委"]
    change = next(c for c in report.changes if c.key == "1")
    assert (change.old, change.new) == ("市科技局、市财政局", "市财政局、市商务委")


def test_a_second_lead_unit_in_the_lead_cell_joins_the_responsible_units_first(tmp_path):
    rows = [[1, "任务一", "", "市经济信息委、市科技局", "市财政局", "2025年底", ""]]

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows), plan_code="p")

    task = PlanTask.objects.select_related("lead_unit").get(code="1")
    assert task.lead_unit.short_name == "市经济信息委"
    assert _short_names(task) == ["市科技局", "市财政局"]


def test_tasks_missing_from_the_file_are_kept_and_reported(tmp_path):
    plan = make_plan("p")
    make_task(plan, "9", title="只在系统中")
    path = taizhang(tmp_path / "t.xlsx", [[1, "任务一", "", "市经济信息委", "", "2025年底", ""]])

    report = plan_import(source=path, plan_code="p")

    assert PlanTask.objects.filter(plan=plan, code="9").exists()
    assert ("tasks", "9") in report.not_in_file


def test_dotted_codes_stand_as_written_and_hang_under_the_code_before_the_last_dot(tmp_path):
    rows = [
        ["3", "第三部分", "", "", "", "", ""],
        ["3.2", "子任务", "", "市科技局", "", "2026年", ""],
        ["3.2.1", "孙任务", "", "市科技局", "", "2026年6月", ""],
    ]

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows), plan_code="p")

    grandchild = PlanTask.objects.select_related("parent__parent").get(code="3.2.1")
    assert grandchild.parent.code == "3.2" and grandchild.parent.parent.code == "3"
    assert grandchild.due_date == date(2026, 6, 30)


def test_a_section_written_in_one_cell_after_a_blank_row_is_a_section_not_a_footnote(tmp_path):
    rows = [
        ["一、第一部分", None, None, None, None, None, None],
        [1, "任务一", "", "市科技局", "", "2025年底", ""],
        [None] * 7,
        ["二", "第二部分", None, None, None, None, None],
        [2, "任务二", "", "市科技局", "", "2025年底", ""],
        [None] * 7,
        ["填表人：张三", None, None, None, None, None, None],
    ]

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows), plan_code="p")

    assert dict(PlanTask.objects.values_list("code", "title")) == {
        "1": "第一部分",
        "1.1": "任务一",
        "2": "第二部分",
        "2.2": "任务二",
    }


def test_a_lead_unit_merged_down_over_several_rows_leads_each_of_them(tmp_path):
    rows = [[1, "任务一", "", "市科技局", "", "2025年底", ""], [2, "任务二", "", None, "", "2025年底", ""]]

    def merge(sheet: Any) -> None:
        sheet.merge_cells("D5:D6")

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows, edit=merge), plan_code="p")

    assert set(PlanTask.objects.values_list("lead_unit__short_name", flat=True)) == {"市科技局"}


def test_optional_columns_set_kind_importance_dates_and_flags(tmp_path):
    header = (
        [
            "序号",
            "任务名称",
            "牵头单位",
            "责任单位",
            "完成时限",
            "类型",
            "重要程度",
            "开始日期",
            "英文名称",
            "分工为示例",
            "状态",
            "完成日期",
        ],
    )
    rows = [
        [
            1,
            "任务一",
            "市科技局",
            "",
            "2025-12-31",
            "成果类",
            "重大",
            date(2024, 3, 1),
            "Task one",
            "否",
            "已办结",
            date(2025, 1, 1),
        ]
    ]
    make_plan("p", units_illustrative=True)

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows, header=header, title=None), plan_code="p")

    task = PlanTask.objects.get(code="1")
    assert (task.kind, task.importance, task.start_date, task.title_en) == (
        "deliverable",
        "major",
        date(2024, 3, 1),
        "Task one",
    )
    assert (task.due_date, task.due_text) == (date(2025, 12, 31), "")
    assert task.units_illustrative is False
    # Completion comes only from approved reports: the 状态 and 完成日期 columns are not read.
    assert (task.status, task.completed_date) == ("not_started", None)


def test_extra_sheets_give_the_plan_indicators_and_milestones(tmp_path):
    sheets = {
        "方案": [
            ["代码", "from-sheet"],
            ["名称", "来自方案页"],
            ["开始日期", date(2024, 1, 1)],
            ["结束日期", date(2027, 12, 31)],
            ["报送周期", "按月"],
            ["单位分工为示例", "是"],
        ],
        "指标": [
            [
                "任务序号",
                "指标编号",
                "指标名称",
                "计量单位",
                "方向",
                "基期年份",
                "基期值",
                "目标年份",
                "目标值",
                "序时目标",
                "序时目标为示例",
            ],
            ["1", "I01", "绿色工厂数", "家", "越高越好", 2022, 10, 2027, 200, "2024:50；2025：100", "是"],
        ],
        "节点": [
            ["任务序号", "节点编号", "节点名称", "计划完成日期", "权重", "目标数量", "责任单位"],
            ["1", "1", "首批", date(2024, 12, 31), 40, 50, "市经信委"],
            ["1", "2", "第二批", "2025年底", 60, 100, ""],
        ],
    }
    rows = [[1, "新建绿色工厂", "", "市经济信息委", "", "2027年", ""]]

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows, sheets=sheets))

    plan = Plan.objects.get(code="from-sheet")
    assert (plan.title, plan.cadence, plan.units_illustrative) == ("来自方案页", "monthly", True)
    assert PlanTask.objects.get(plan=plan, code="1").units_illustrative is True
    indicator = Indicator.objects.get(plan=plan, code="I01")
    assert [(t.year, t.value, t.illustrative) for t in indicator.interim_targets.order_by("year")] == [
        (2024, Decimal(50), True),
        (2025, Decimal(100), True),
    ]
    milestones = list(Milestone.objects.filter(task__plan=plan).order_by("code"))
    assert [(m.due_date, m.weight, m.target_value) for m in milestones] == [
        (date(2024, 12, 31), Decimal(40), Decimal(50)),
        (date(2025, 12, 31), Decimal(60), Decimal(100)),
    ]
    assert milestones[0].owner_unit.short_name == "市经济信息委" and milestones[1].owner_unit is None


def test_a_moved_milestone_keeps_its_first_promised_date(tmp_path):
    def file(due: date) -> Path:
        sheets = {"节点": [["任务序号", "节点编号", "节点名称", "计划完成日期", "权重"], ["1", "1", "节点", due, 100]]}
        return taizhang(tmp_path / f"{due}.xlsx", [[1, "任务", "", "市科技局", "", "2027年", ""]], sheets=sheets)

    plan_import(source=file(date(2025, 6, 30)), plan_code="p")
    plan_import(source=file(date(2025, 9, 30)), plan_code="p")
    plan_import(source=file(date(2025, 12, 31)), plan_code="p")

    milestone = Milestone.objects.get()
    assert (milestone.due_date, milestone.original_due_date) == (date(2025, 12, 31), date(2025, 6, 30))


def test_progress_is_reported_while_applying(tmp_path):
    rows = [[n, f"任务{n}", "", "市科技局", "", "2025年底", ""] for n in range(1, 4)]
    seen: list[tuple[str, int, int]] = []

    plan_import(source=taizhang(tmp_path / "t.xlsx", rows), plan_code="p", progress=lambda *a: seen.append(a))

    assert ("任务", 3, 3) in seen


# --- bad files: every problem names the place and the value, and nothing is written ---------


def test_unknown_unit_names_the_cell_and_suggests_close_names(tmp_path):
    path = taizhang(
        tmp_path / "units.xlsx", [[1, "任务一", "", "市经济信息委", "市发展改革委、市发改伟", "2025年底", ""]]
    )

    message = _fails(path)

    assert "units.xlsx" in message and "重点任务" in message
    assert "第5行" in message and "E列（责任单位）" in message and "“市发改伟”" in message
    assert "是否是：市发展改革委" in message
    _nothing_written()


def test_duplicate_code_names_both_rows(tmp_path):
    rows = [[1, "任务一", "", "市科技局", "", "2025年底", ""], [1, "任务一again", "", "市科技局", "", "2025年底", ""]]

    message = _fails(taizhang(tmp_path / "dup.xlsx", rows))

    assert "dup.xlsx" in message and "第6行" in message and "A列（序号）" in message and "“1”" in message
    assert "重复" in message and "第5行" in message
    _nothing_written()


def test_unreadable_deadline_names_the_cell_and_value(tmp_path):
    message = _fails(taizhang(tmp_path / "due.xlsx", [[1, "任务一", "", "市科技局", "", "尽快完成", ""]]))

    assert "due.xlsx" in message and "第5行" in message and "F列（完成时限）" in message and "“尽快完成”" in message
    _nothing_written()


def test_missing_column_names_the_missing_header(tmp_path):
    header = (["序号", "任务名称", "牵头单位", "责任单位"],)

    message = _fails(taizhang(tmp_path / "cols.xlsx", [[1, "任务一", "市科技局", ""]], header=header, title=None))

    assert "cols.xlsx" in message and "第1行" in message and "缺少必需的列" in message and "“完成时限”" in message
    _nothing_written()


def test_sheet_without_task_rows_is_refused(tmp_path):
    message = _fails(taizhang(tmp_path / "empty.xlsx", []))

    assert "empty.xlsx" in message and "重点任务" in message and "没有任务行" in message
    _nothing_written()


def test_an_empty_workbook_is_refused_naming_the_columns_it_needs(tmp_path):
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)

    message = _fails(path)

    assert "blank.xlsx" in message and "找不到表头行" in message and "完成时限" in message
    _nothing_written()


def test_a_misspelt_item_in_the_plan_sheet_is_refused(tmp_path):
    sheets = {"方案": [["代码", "p"], ["名称", "方案"], ["报送周其", "按月"]]}
    path = taizhang(tmp_path / "plan.xlsx", [[1, "任务一", "", "市科技局", "", "2025年底", ""]], sheets=sheets)

    message = _fails(path)

    assert "工作表“方案”" in message and "第3行" in message and "A列" in message and "“报送周其”" in message
    _nothing_written()


def test_a_text_file_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("序号,任务名称\n1,任务一\n", encoding="utf-8")

    message = _fails(path)

    assert "fake.xlsx" in message and "不是有效的 xlsx" in message
    _nothing_written()


def test_without_plan_code_or_plan_sheet_the_import_asks_for_one(tmp_path):
    with pytest.raises(PlanImportError) as caught:
        plan_import(source=SAMPLE)

    assert "--plan" in str(caught.value) and SAMPLE.name in str(caught.value)
    _nothing_written()


def test_all_problems_are_listed_together_and_a_late_one_undoes_nothing_already_checked(tmp_path):
    rows = [
        [1, "任务一", "", "市科技局", "", "2025年底", ""],
        [2, "任务二", "", "不存在局", "", "2025年底", ""],
        [3, "任务三", "", "市科技局", "", "某天", ""],
    ]

    message = _fails(taizhang(tmp_path / "many.xlsx", rows))

    assert "“不存在局”" in message and "“某天”" in message
    _nothing_written()


def test_bad_milestone_date_in_the_milestone_sheet_names_sheet_row_and_column(tmp_path):
    sheets = {"节点": [["任务序号", "节点编号", "节点名称", "计划完成日期", "权重"], ["1", "1", "节点", "下个月", 100]]}
    rows = [[1, "任务", "", "市科技局", "", "2027年", ""]]

    message = _fails(taizhang(tmp_path / "ms.xlsx", rows, sheets=sheets))

    assert (
        "工作表“节点”" in message and "第2行" in message and "D列（计划完成日期）" in message and "“下个月”" in message
    )
    _nothing_written()


# --- command line -----------------------------------------------------------------------


def test_command_dry_run_prints_counts_and_writes_nothing():
    out = StringIO()

    call_command("import_plan", str(SAMPLE), "--plan", "sample-2025", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "试运行" in text and "任务：新建 6，更新 0，未变 0" in text
    assert "dry run: sample-2025: 7 created" in text
    _nothing_written()


def test_command_imports_and_a_second_run_reports_no_change():
    call_command("import_plan", str(SAMPLE), "--plan", "sample-2025", stdout=StringIO())
    out = StringIO()

    call_command("import_plan", str(SAMPLE), "--plan", "sample-2025", stdout=out)

    assert "0 created, 0 updated" in out.getvalue()
    assert TaskUnit.objects.filter(task__plan__code="sample-2025").exists()


def test_command_shows_progress_on_stderr_for_a_long_import(tmp_path):
    rows = [[n, f"任务{n}", "", "市科技局", "", "2025年底", ""] for n in range(1, 1201)]
    err = StringIO()

    call_command(
        "import_plan", str(taizhang(tmp_path / "long.xlsx", rows)), "--plan", "p", stdout=StringIO(), stderr=err
    )

    assert "任务 1000/1200 (83%)" in err.getvalue() and "任务 1200/1200 (100%)" in err.getvalue()


def test_command_fails_with_every_problem_and_a_non_zero_exit(tmp_path):
    path = taizhang(tmp_path / "bad.xlsx", [[1, "任务一", "", "市科技局", "", "尽快", ""]])

    with pytest.raises(CommandError) as caught:
        call_command("import_plan", str(path), "--plan", "p", stdout=StringIO())

    assert "未写入任何数据" in str(caught.value) and "bad.xlsx" in str(caught.value) and "“尽快”" in str(caught.value)
    _nothing_written()
