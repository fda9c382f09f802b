"""Importing a plan YAML file: the schema, upserts by code, and problems that name path and line."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tasks.importing.apply import plan_import
from tasks.importing.errors import PlanImportError
from tasks.models import AuditEvent, Indicator, Milestone, Plan, PlanTask

pytestmark = pytest.mark.django_db

PLAN = """\
plan:
  code: demo
  title: 示例方案
  title_en: Demo plan
  issuer: 市政府办公厅
  issued_date: 2023-09-01
  start_date: 2023-01-01
  end_date: 2027-12-31
  cadence: monthly
  units_illustrative: true
tasks:
  - code: "1"
    title: 第一部分
    children:
      - code: "1.1"
        title: 新建绿色工厂
        text: 全市累计新建200家绿色工厂。
        kind: deliverable
        importance: major
        lead: 市经信委
        responsible: [市生态环境局, 市发展改革委]
        start: 2024-01-01
        due: 2027-12-31
        indicators:
          - code: I01
            name: 绿色工厂数
            unit: 家
            direction: higher
            baseline: {year: 2022, value: 10, illustrative: true}
            target: {year: 2027, value: 200}
            target_text: 累计新建200家
            interim: {2024: 50.5, 2025: 100}
            interim_illustrative: true
        milestones:
          - {code: "1", title: 首批, due: 2024-12-31, weight: 40, target_value: 50, owner: 市经济信息委}
          - {code: "2", title: 第二批, due: 2025-12-31, weight: 60}
      - code: "1.2"
        title: 持续优化营商环境
        lead: 市发展改革委
        responsible: [各区县]
        units_illustrative: false
        due_text: 持续推进
"""


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _fails(path: Path) -> str:
    with pytest.raises(PlanImportError) as caught:
        plan_import(source=path)
    assert not Plan.objects.exists() and not PlanTask.objects.exists()
    assert not AuditEvent.objects.filter(action="plan.import").exists()
    return str(caught.value)


def test_yaml_plan_imports_tasks_indicators_and_milestones(tmp_path):
    report = plan_import(source=write(tmp_path, PLAN))

    plan = Plan.objects.get(code="demo")
    assert (plan.title_en, plan.cadence, plan.issued_date, plan.status) == (
        "Demo plan",
        "monthly",
        date(2023, 9, 1),
        "active",
    )
    task = PlanTask.objects.select_related("parent", "lead_unit").get(plan=plan, code="1.1")
    assert task.parent.code == "1" and task.lead_unit.short_name == "市经济信息委"
    assert [tu.unit.short_name for tu in task.task_units.order_by("order")] == ["市生态环境局", "市发展改革委"]
    assert (task.kind, task.importance, task.start_date, task.due_date) == (
        "deliverable",
        "major",
        date(2024, 1, 1),
        date(2027, 12, 31),
    )
    assert task.units_illustrative is True  # the plan's setting
    ongoing = PlanTask.objects.get(plan=plan, code="1.2")
    assert (ongoing.due_date, ongoing.due_text, ongoing.units_illustrative) == (None, "持续推进", False)
    assert ongoing.task_units.count() == 38
    indicator = Indicator.objects.get(plan=plan, code="I01")
    assert (indicator.task, indicator.baseline_value, indicator.baseline_illustrative) == (task, Decimal(10), True)
    assert [(t.year, t.value) for t in indicator.interim_targets.order_by("year")] == [
        (2024, Decimal("50.5")),
        (2025, Decimal(100)),
    ]
    first, second = Milestone.objects.filter(task=task).order_by("code")
    assert (first.weight, first.target_value, first.owner_unit.short_name) == (Decimal(40), Decimal(50), "市经济信息委")
    assert second.owner_unit is None and second.order == 2
    assert report.counts["milestones"].created == 2 and report.counts["tasks"].created == 3


def test_parents_get_depth_and_sort_key_like_a_saved_task(tmp_path):
    plan_import(source=write(tmp_path, PLAN))

    for task in PlanTask.objects.all():
        stored = (task.sort_key, task.depth)
        task.save()
        assert (task.sort_key, task.depth) == stored


def test_importing_the_same_yaml_twice_changes_nothing(tmp_path):
    path = write(tmp_path, PLAN)
    plan_import(source=path)

    report = plan_import(source=path)

    assert not report.changed and report.changes == ()
    assert report.total().unchanged == 1 + 3 + 1 + 2


def test_an_edited_yaml_updates_fields_and_reports_old_and_new(tmp_path):
    plan_import(source=write(tmp_path, PLAN))
    edited = PLAN.replace("title: 新建绿色工厂", "title: 新建绿色工厂（扩大）").replace("2025: 100", "2025: 120")

    report = plan_import(source=write(tmp_path, edited, "edited.yaml"))

    assert PlanTask.objects.get(code="1.1").title == "新建绿色工厂（扩大）"
    assert (report.counts["tasks"].updated, report.counts["indicators"].updated) == (1, 1)
    shown = [str(change) for change in report.changes]
    assert "任务 1.1：任务名称：新建绿色工厂 → 新建绿色工厂（扩大）" in shown
    assert any("2024:50.5；2025:100 → 2024:50.5；2025:120" in line for line in shown)


def test_an_import_raises_the_version_of_what_it_changed_only(tmp_path):
    """So an API write based on a read from before the import is refused (409), as after any other change."""
    plan_import(source=write(tmp_path, PLAN))
    edited = (
        PLAN.replace("issuer: 市政府办公厅", "issuer: 市政府")
        .replace("title: 新建绿色工厂", "title: 新建绿色工厂（扩大）")
        .replace("responsible: [各区县]", "responsible: [市发展改革委]")
        .replace("2025: 100", "2025: 120")
        .replace("title: 第二批, due: 2025-12-31", "title: 第二批, due: 2026-03-31")
    )

    plan_import(source=write(tmp_path, edited, "edited.yaml"))

    assert Plan.objects.get(code="demo").version == 2
    # 1.1 by a field, 1.2 by its responsible units only; 1 is untouched.
    assert dict(PlanTask.objects.values_list("code", "version")) == {"1": 1, "1.1": 2, "1.2": 2}
    assert Indicator.objects.get(code="I01").version == 2  # its interim targets only
    assert dict(Milestone.objects.values_list("code", "version")) == {"1": 1, "2": 2}
    plan_import(source=write(tmp_path, edited, "edited.yaml"))
    assert Plan.objects.get(code="demo").version == 2


def test_a_milestone_moved_in_the_yaml_keeps_its_original_date(tmp_path):
    plan_import(source=write(tmp_path, PLAN))

    plan_import(source=write(tmp_path, PLAN.replace("due: 2024-12-31", "due: 2025-03-31"), "moved.yaml"))

    milestone = Milestone.objects.get(task__code="1.1", code="1")
    assert (milestone.due_date, milestone.original_due_date) == (date(2025, 3, 31), date(2024, 12, 31))


def test_objects_the_yaml_no_longer_lists_are_kept_and_reported(tmp_path):
    plan_import(source=write(tmp_path, PLAN))
    shorter = PLAN.replace('          - {code: "2", title: 第二批, due: 2025-12-31, weight: 60}\n', "")

    report = plan_import(source=write(tmp_path, shorter, "shorter.yaml"))

    assert Milestone.objects.filter(task__code="1.1", code="2").exists()
    assert report.not_in_file == (("milestones", "1.1/2"),)


# --- problems: path and line ------------------------------------------------------------


def test_unknown_key_names_the_path_and_line(tmp_path):
    message = _fails(write(tmp_path, PLAN.replace("        kind: deliverable", "        knid: deliverable")))

    assert "plan.yaml" in message and "第18行" in message and "tasks[0].children[0].knid" in message
    assert "未知字段" in message and "“knid”" in message


def test_wrong_type_names_the_path_line_and_value(tmp_path):
    text = PLAN.replace("due: 2025-12-31, weight: 60}", "due: 2025-12-31, weight: 六十}")

    message = _fails(write(tmp_path, text))

    assert "第36行" in message and "tasks[0].children[0].milestones[1].weight" in message and "“六十”" in message


def test_a_list_where_one_name_was_expected_is_a_type_error(tmp_path):
    message = _fails(write(tmp_path, PLAN.replace("responsible: [各区县]", "responsible: 各区县")))

    assert "tasks[0].children[1].responsible" in message and "须为单位名称列表" in message


def test_unknown_unit_in_yaml_names_the_list_item_and_suggests(tmp_path):
    message = _fails(write(tmp_path, PLAN.replace("[市生态环境局, 市发展改革委]", "[市生态环境局, 市发改伟]")))

    assert "第21行" in message and "tasks[0].children[0].responsible[1]" in message and "“市发改伟”" in message
    assert "市发展改革委" in message


def test_duplicate_code_in_yaml_names_both_places(tmp_path):
    message = _fails(write(tmp_path, PLAN.replace('code: "1.2"', 'code: "1.1"')))

    assert "tasks[0].children[1].code" in message and "“1.1”" in message and "重复" in message
    assert "tasks[0].children[0]" in message


def test_unreadable_date_in_yaml_names_path_and_value(tmp_path):
    message = _fails(write(tmp_path, PLAN.replace("start: 2024-01-01", "start: 明年初")))

    assert "第22行" in message and "tasks[0].children[0].start" in message and "“明年初”" in message


def test_a_child_code_must_extend_its_parents_code(tmp_path):
    message = _fails(write(tmp_path, PLAN.replace('code: "1.2"', 'code: "2.2"')))

    assert "tasks[0].children[1].code" in message and "“2.2”" in message


def test_missing_required_key_and_empty_or_broken_files_are_refused(tmp_path):
    assert "title" in _fails(write(tmp_path, PLAN.replace("    title: 第一部分\n", ""), "missing.yaml"))
    assert "文件为空" in _fails(write(tmp_path, "", "empty.yaml"))
    broken = _fails(write(tmp_path, "plan: {code: x\ntasks: [", "broken.yaml"))
    assert "broken.yaml" in broken and "YAML 语法错误" in broken


def test_a_file_of_another_kind_is_refused(tmp_path):
    message = _fails(write(tmp_path, "序号,任务名称\n", "plan.csv"))

    assert "plan.csv" in message and "不支持的文件类型" in message


def test_command_reports_yaml_problems_with_lines(tmp_path):
    path = write(tmp_path, PLAN.replace("cadence: monthly", "cadence: weekly"))

    with pytest.raises(CommandError) as caught:
        call_command("import_plan", str(path), stdout=StringIO())

    assert "第9行" in str(caught.value) and "plan.cadence" in str(caught.value) and "“weekly”" in str(caught.value)


def test_command_can_import_a_yaml_under_another_plan_code(tmp_path):
    out = StringIO()

    call_command("import_plan", str(write(tmp_path, PLAN)), "--plan", "demo-copy", stdout=out)

    assert Plan.objects.filter(code="demo-copy").exists() and not Plan.objects.filter(code="demo").exists()
    assert "demo-copy: 7 created" in out.getvalue()
