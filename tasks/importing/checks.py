"""Check a plan document against the register before anything is written.

Resolves unit names, finds duplicate codes, missing parents and tasks, and values the
database would refuse; collects every problem (with the reader's) and raises them together.
Reads only: run it inside the import's transaction, which holds the plan row locked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.codes import is_valid_code
from tasks.importing.document import IndicatorDoc, MilestoneDoc, PlanDocument, TaskDoc
from tasks.importing.errors import Location, ProblemLog
from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask
from units.matching import UnitIndex, UnknownUnit
from units.models import Unit
from units.services import unit_index

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_MAX_DEPTH = 12  # tasks.codes.code_sort_key keeps 12 levels within PlanTask.sort_key
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
PLAN_FIELDS = (
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


@dataclass(frozen=True)
class TaskRow:
    """A checked task: model field values (attnames, units resolved) and its responsible unit ids
    (None: the file does not speak about them, keep the register's)."""

    doc: TaskDoc
    fields: dict[str, Any]
    responsible: list[int] | None


@dataclass(frozen=True)
class IndicatorRow:
    """A checked indicator; ``interim`` is None when the file does not give interim targets."""

    doc: IndicatorDoc
    fields: dict[str, Any]
    interim: list[tuple[int, Decimal]] | None


@dataclass(frozen=True)
class MilestoneRow:
    doc: MilestoneDoc
    fields: dict[str, Any]


@dataclass(frozen=True)
class CheckedDocument:
    """Everything apply needs to write, all problems already ruled out."""

    document: PlanDocument
    plan_code: str
    plan: Plan | None
    plan_fields: dict[str, Any]
    existing_tasks: dict[str, PlanTask]
    tasks: list[TaskRow]
    indicators: list[IndicatorRow]
    milestones: list[MilestoneRow]
    units: dict[int, Unit]


def document_check(document: PlanDocument, *, plan_code: str | None) -> CheckedDocument:
    """Check *document* for plan *plan_code* (else the document's own code).

    Locks the plan row (select_for_update) so concurrent imports of one plan queue; call it
    inside the import's transaction. Raises PlanImportError with the reader's problems and its
    own, in file order. Writes nothing.
    """
    return _Checker(document, plan_code=plan_code).run()


class _Checker:
    def __init__(self, document: PlanDocument, *, plan_code: str | None) -> None:
        self.doc = document
        self.plan_code = plan_code
        self.log = ProblemLog()
        self.log.extend(document.problems)
        self.index: UnitIndex[int] = unit_index()

    def run(self) -> CheckedDocument:
        code = self.plan_code or (self.doc.plan.code if self.doc.plan is not None else None) or ""
        if not code:
            self.log.add(self.doc.where, _("未指定方案：请用 --plan 指定方案代码，或在“方案”工作表填写“代码”"))
        elif not _SLUG.match(code):
            where = self.doc.plan.at("code") if self.doc.plan is not None and not self.plan_code else self.doc.where
            self.log.add(where, _("方案代码只能包含字母、数字、连字符和下划线"), code)
        plan = Plan.objects.select_for_update().filter(code=code).first() if code else None
        self.existing_tasks: dict[str, PlanTask] = (
            {task.code: task for task in PlanTask.objects.filter(plan=plan)} if plan is not None else {}
        )
        plan_fields = self.check_plan(plan)
        tasks = self.check_tasks()
        indicators = self.check_indicators()
        milestones = self.check_milestones()
        self.log.raise_if_any()
        return CheckedDocument(
            document=self.doc,
            plan_code=code,
            plan=plan,
            plan_fields=plan_fields,
            existing_tasks=self.existing_tasks,
            tasks=tasks,
            indicators=indicators,
            milestones=milestones,
            units={unit.pk: unit for unit in Unit.objects.all()},
        )

    def resolve(self, text: str, where: Location) -> list[int]:
        """Unit ids for a cell or name (split, groups expanded); logs unknown names with suggestions."""
        try:
            return self.index.resolve_many(text)
        except UnknownUnit as exc:
            message = _("未知单位")
            if exc.suggestions:
                message = _("未知单位，是否是：%(names)s") % {"names": "、".join(exc.suggestions)}
            self.log.add(where, message, exc.name)
            return []

    def check_lengths(self, model: type[models.Model], fields: dict[str, Any], record: Any) -> None:
        """Refuse what the database would truncate or reject (PostgreSQL) or silently keep (SQLite)."""
        for name, value in fields.items():
            field = model._meta.get_field(name)
            too_long = (
                isinstance(value, str)
                and isinstance(field, models.CharField)
                and field.max_length is not None
                and len(value) > field.max_length
            )
            if too_long:
                self.log.add(
                    record.at(name), _("过长（最多 %(n)d 个字符）") % {"n": field.max_length}, value[:40] + "…"
                )
            too_big = (
                isinstance(value, Decimal)
                and isinstance(field, models.DecimalField)
                and field.max_digits is not None
                and abs(value) >= Decimal(10) ** (field.max_digits - (field.decimal_places or 0))
            )
            if too_big:
                self.log.add(record.at(name), _("数值过大"), value)

    def check_plan(self, plan: Plan | None) -> dict[str, Any]:
        """The plan fields to write: all of them for a new plan, the file's own for an existing one."""
        doc = self.doc.plan
        given = doc.given if doc is not None else frozenset()
        fields = {name: getattr(doc, name) for name in PLAN_FIELDS if name in given}
        if plan is None:
            years = [t.due_date.year for t in self.doc.tasks if t.due_date] + [
                m.due_date.year for m in self.doc.milestones if m.due_date
            ]
            this_year = timezone.localdate().year
            fields.setdefault("title", "")
            if not fields["title"]:
                fields["title"] = self.doc.title_hint or Path(self.doc.source).stem
            if fields.get("start_date") is None:
                fields["start_date"] = date(min(years, default=this_year), 1, 1)
            if fields.get("end_date") is None:
                fields["end_date"] = date(max(years, default=this_year), 12, 31)
        if doc is not None:
            if "title" in given and not doc.title:
                self.log.add(doc.at("title"), _("方案名称为空"))
            self.check_lengths(Plan, fields, doc)
        start = fields.get("start_date", plan.start_date if plan else None)
        end = fields.get("end_date", plan.end_date if plan else None)
        if start and end and start > end:
            self.log.add(doc.at("end_date") if doc else self.doc.where, _("结束日期早于开始日期"), end)
        return fields

    def check_tasks(self) -> list[TaskRow]:
        """Per task: its doc, the resolved field values (model attnames) and its responsible unit ids (None: keep)."""
        seen: dict[str, TaskDoc] = {}
        rows: list = []
        file_codes = {task.code for task in self.doc.tasks}
        for task in self.doc.tasks:
            if not is_valid_code(task.code):
                self.log.add(task.at("code"), _("编号格式不对（应为 1、3.2 或 3.2.1 这样的编号）"), task.code)
                continue
            if task.code.count(".") >= _MAX_DEPTH:
                self.log.add(task.at("code"), _("层级过深（最多 %(n)d 级）") % {"n": _MAX_DEPTH}, task.code)
                continue
            if task.code in seen:
                self.log.add(
                    task.at("code"),
                    _("编号重复（已在 %(where)s 出现）") % {"where": seen[task.code].where.describe()},
                    task.code,
                )
                continue
            seen[task.code] = task
            parent = task.parent_code
            if parent is not None and parent not in file_codes and parent not in self.existing_tasks:
                self.log.add(task.at("code"), _("上级任务“%(parent)s”不存在") % {"parent": parent}, task.code)
            if "title" in task.given and not task.title:
                self.log.add(task.at("title"), _("任务名称为空"))
            fields: dict[str, Any] = {name: getattr(task, name) for name in TASK_FIELDS}
            lead_ids = self.resolve(task.lead, task.at("lead")) if task.lead else []
            fields["lead_unit_id"] = lead_ids[0] if lead_ids else None
            responsible: list[int] | None = None
            if "responsible" in task.given or task.code not in self.existing_tasks:
                responsible = list(lead_ids[1:])
                for position, name in enumerate(task.responsible):
                    where = task.locations.get(f"responsible[{position}]") or task.at("responsible")
                    for unit_id in self.resolve(name, where):
                        if unit_id not in responsible:
                            responsible.append(unit_id)
            if task.start_date and task.due_date and task.start_date > task.due_date:
                self.log.add(task.at("start_date"), _("开始日期晚于完成时限"), task.start_date)
            self.check_lengths(PlanTask, {"code": task.code, **fields}, task)
            rows.append(TaskRow(task, fields, responsible))
        return rows

    def check_indicators(self) -> list[IndicatorRow]:
        seen: dict[str, IndicatorDoc] = {}
        rows: list = []
        task_codes = {task.code for task in self.doc.tasks} | set(self.existing_tasks)
        for indicator in self.doc.indicators:
            if not indicator.code:
                self.log.add(indicator.at("code"), _("指标编号为空"))
                continue
            if indicator.code in seen:
                self.log.add(
                    indicator.at("code"),
                    _("指标编号重复（已在 %(where)s 出现）") % {"where": seen[indicator.code].where.describe()},
                    indicator.code,
                )
                continue
            seen[indicator.code] = indicator
            if indicator.task_code not in task_codes:
                self.log.add(
                    indicator.at("task_code"),
                    _("任务“%(code)s”不存在") % {"code": indicator.task_code},
                    indicator.task_code,
                )
            for name in ("name", "unit_of_measure"):
                if name in indicator.given and not getattr(indicator, name):
                    self.log.add(indicator.at(name), _("必填项为空"))
            given = indicator.given
            if {"baseline_year", "target_year"} <= given and indicator.target_year < indicator.baseline_year:
                self.log.add(indicator.at("target_year"), _("目标年份早于基期年份"), indicator.target_year)
            if {"baseline_value", "target_value"} <= given and indicator.target_value == indicator.baseline_value:
                self.log.add(indicator.at("target_value"), _("目标值与基期值相同"), indicator.target_value)
            fields = {name: getattr(indicator, name) for name in INDICATOR_FIELDS}
            self.check_lengths(Indicator, {"code": indicator.code, **fields}, indicator)
            for _year, value in indicator.interim:
                self.check_lengths(IndicatorTarget, {"value": value}, indicator)
            interim = list(indicator.interim) if "interim" in indicator.given else None
            rows.append(IndicatorRow(indicator, fields, interim))
        return rows

    def check_milestones(self) -> list[MilestoneRow]:
        seen: dict[tuple[str, str], MilestoneDoc] = {}
        rows: list = []
        task_codes = {task.code for task in self.doc.tasks} | set(self.existing_tasks)
        for milestone in self.doc.milestones:
            key = (milestone.task_code, milestone.code)
            if not milestone.code:
                self.log.add(milestone.at("code"), _("节点编号为空"))
                continue
            if key in seen:
                self.log.add(
                    milestone.at("code"),
                    _("节点编号重复（已在 %(where)s 出现）") % {"where": seen[key].where.describe()},
                    milestone.code,
                )
                continue
            seen[key] = milestone
            if milestone.task_code not in task_codes:
                self.log.add(
                    milestone.at("task_code"),
                    _("任务“%(code)s”不存在") % {"code": milestone.task_code},
                    milestone.task_code,
                )
            if "title" in milestone.given and not milestone.title:
                self.log.add(milestone.at("title"), _("节点名称为空"))
            if milestone.due_date is None:
                self.log.add(milestone.at("due_date"), _("计划完成日期为空"))
            fields = {name: getattr(milestone, name) for name in MILESTONE_FIELDS}
            fields["owner_unit_id"] = None
            if milestone.owner:
                owners = self.resolve(milestone.owner, milestone.at("owner"))
                if len(owners) > 1:
                    self.log.add(milestone.at("owner"), _("节点只能有一个责任单位"), milestone.owner)
                fields["owner_unit_id"] = owners[0] if owners else None
            self.check_lengths(Milestone, {"code": milestone.code, **fields}, milestone)
            rows.append(MilestoneRow(milestone, fields))
        return rows
