"""Import a plan file into the register: the service behind ``manage.py import_plan``.

Upsert by code — a task by (plan, code), an indicator by (plan, code), a milestone by
(task, code). Objects the file does not mention are kept and reported as "not in file".
Everything is read once per kind and written with bulk_create / bulk_update, so a
province-scale register (5,000 tasks, 20,000 milestones) imports in seconds.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import DataError, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks.audit import audit_record
from tasks.codes import code_sort_key
from tasks.importing import values
from tasks.importing.checks import (
    INDICATOR_FIELDS,
    MILESTONE_FIELDS,
    TASK_FIELDS,
    CheckedDocument,
    IndicatorRow,
    MilestoneRow,
    TaskRow,
    document_check,
)
from tasks.importing.document import PlanDocument
from tasks.importing.errors import Location, PlanImportError, Problem
from tasks.importing.report import Counts, FieldChange, ImportReport
from tasks.importing.xlsx_reader import read_xlsx
from tasks.importing.yaml_reader import read_yaml
from tasks.models import Indicator, IndicatorTarget, Milestone, Plan, PlanTask, TaskUnit
from tasks.signals import facts_changed
from units.models import Unit

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while applying; stage is 任务 / 指标 / 节点."""

_CHUNK = 500
_PROGRESS_STEP = 1000
_READERS: dict[str, Callable[[Path], PlanDocument]] = {
    ".yaml": read_yaml,
    ".yml": read_yaml,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
}


def read_document(source: Path) -> PlanDocument:
    """Parse *source* with the reader for its suffix (.yaml/.yml or .xlsx/.xlsm). Pure.

    Raises PlanImportError if the file cannot be read at all; problems with single values
    travel in the document's ``problems``.
    """
    where = Location(file=source.name)
    reader = _READERS.get(source.suffix.lower())
    if reader is None:
        raise PlanImportError([Problem(where, str(_("不支持的文件类型（可用 .yaml、.yml、.xlsx）")), source.suffix)])
    if not source.is_file():
        raise PlanImportError([Problem(where, str(_("文件不存在")), str(source))])
    return reader(source)


def plan_import(
    *,
    source: Path,
    plan_code: str | None = None,
    dry_run: bool = False,
    actor: AbstractBaseUser | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the plan file *source* (YAML or xlsx) and return what changed.

    Who may call: supervisors and operators (the command line, the demo loader); the
    caller checks permission. Atomic: any problem writes nothing and raises
    :class:`PlanImportError` listing every problem found (file, row/line, column/path,
    value). Idempotent: importing the same file again reports 0 created, 0 updated.
    Never deletes. With ``dry_run`` the import runs in full and is rolled back, so the
    report shows exactly what would change. Writes one ``plan.import`` audit event
    (counts and file name) per import. The plan row is locked for the duration, so two
    imports of one plan queue rather than interleave.
    """
    source = Path(source)
    document = read_document(source)
    if not Unit.objects.exists():
        message = _("单位库为空：请先运行 python manage.py load_units 载入单位和赛道，再导入方案。")
        raise PlanImportError([Problem(document.where, str(message))])
    started = time.monotonic()
    try:
        with transaction.atomic():
            checked = document_check(document, plan_code=plan_code)
            report = _Writer(checked, dry_run=dry_run, actor=actor, progress=progress).run()
            if dry_run:
                transaction.set_rollback(True)
    except (IntegrityError, DataError) as exc:
        # The checks above mirror the model's constraints; this is the backstop, not the path.
        raise PlanImportError([Problem(document.where, str(_("数据库拒绝写入：%(error)s") % {"error": exc}))]) from exc
    return replace(report, seconds=round(time.monotonic() - started, 3))


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bump_versions(model: type[models.Model], pks: Iterable[int]) -> None:
    """Raise the stale-write ``version`` of rows the import changed, so an API write based on an earlier read
    is refused (409) as it would be after a change through ``tasks.services``."""
    for chunk in _chunks(sorted(set(pks))):
        model._default_manager.filter(pk__in=chunk).update(version=models.F("version") + 1)


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return values.number_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Writer:
    """Writes a checked document kind by kind, recording what changed."""

    def __init__(
        self, checked: CheckedDocument, *, dry_run: bool, actor: AbstractBaseUser | None, progress: Progress | None
    ) -> None:
        self.checked = checked
        self.doc = checked.document
        self.dry_run = dry_run
        self.actor = actor
        self.progress = progress
        self.units = checked.units
        self.existing_tasks = checked.existing_tasks
        self.code_of: dict[int | None, str] = {task.pk: code for code, task in self.existing_tasks.items()}
        self.changes: list[FieldChange] = []
        self.created: list[tuple[str, str]] = []
        self.not_in_file: list[tuple[str, str]] = []
        self.counts: dict[str, Counts] = {}
        self.now = timezone.now()
        self.reported: dict[str, int] = {}
        self.updated_tasks: set[str] = set()
        self.task_created = 0

    # -- helpers ----------------------------------------------------------------------------

    def tick(self, stage: str, done: int, total: int) -> None:
        """Report progress each time another _PROGRESS_STEP items of *stage* are done, and at the end."""
        if self.progress is None:
            return
        last = self.reported.get(stage, 0)
        if done == total or done // _PROGRESS_STEP > last // _PROGRESS_STEP:
            self.reported[stage] = done
            self.progress(stage, done, total)

    def unit_name(self, unit_id: int | None) -> str:
        return self.units[unit_id].short_name if unit_id in self.units else ""

    def diff(self, kind: str, key: str, obj: models.Model, fields: dict[str, Any]) -> list[str]:
        """Set changed *fields* on *obj*; record each change; return the changed attribute names."""
        changed = []
        for name, new in fields.items():
            old = getattr(obj, name)
            if old != new:
                changed.append(name)
                self.changes.append(
                    FieldChange(kind, key, self.label(obj, name), self.show(name, old), self.show(name, new))
                )
                setattr(obj, name, new)
        return changed

    def label(self, obj: models.Model, attname: str) -> str:
        name = attname.removesuffix("_id")
        return str(obj._meta.get_field(name).verbose_name)

    def show(self, attname: str, value: Any) -> str:
        if attname in ("lead_unit_id", "owner_unit_id"):
            return self.unit_name(value)
        if attname in ("parent_id", "task_id"):
            return self.code_of.get(value, _show(value))
        return _show(value)

    # -- run --------------------------------------------------------------------------------

    def run(self) -> ImportReport:
        checked = self.checked
        plan = self.write_plan(checked.plan, checked.plan_code, checked.plan_fields)
        task_rows, indicator_rows, milestone_rows = checked.tasks, checked.indicators, checked.milestones
        ids = self.write_tasks(plan, task_rows)
        self.write_task_units(task_rows, ids)
        if self.doc.has_indicators:
            self.write_indicators(plan, indicator_rows, ids)
        else:
            self.counts["indicators"] = Counts()
        if self.doc.has_milestones:
            self.write_milestones(milestone_rows, ids)
        else:
            self.counts["milestones"] = Counts()

        report = ImportReport(
            source=self.doc.source,
            plan_code=plan.code,
            dry_run=self.dry_run,
            counts={kind: self.counts[kind] for kind in ("plan", "tasks", "indicators", "milestones")},
            changes=tuple(self.changes),
            created=tuple(self.created),
            not_in_file=tuple(self.not_in_file),
        )
        audit_record(
            action="plan.import", obj=plan, actor=self.actor, plan=plan, after=report.as_dict(), comment=self.doc.source
        )
        if not self.dry_run and (self.changes or self.created):  # the register changed: any light may move
            facts_changed(plan_id=plan.pk)
        return report

    # -- writes -----------------------------------------------------------------------------

    def write_plan(self, plan: Plan | None, code: str, fields: dict[str, Any]) -> Plan:
        if plan is None:
            plan = Plan.objects.create(code=code, **fields)
            self.counts["plan"] = Counts(created=1)
            self.created.append(("plan", code))
            return plan
        changed = self.diff("plan", code, plan, fields)
        if changed:
            plan.version += 1
            plan.save(update_fields=[*changed, "updated_at", "version"])
        self.counts["plan"] = Counts(updated=1) if changed else Counts(unchanged=1)
        return plan

    def write_tasks(self, plan: Plan, rows: list[TaskRow]) -> dict[str, int]:
        """Create new tasks level by level (parents first), then update the existing ones; return code → id."""
        ids = {code: task.pk for code, task in self.existing_tasks.items()}
        total, done = len(rows), 0
        new_by_depth: dict[int, list[TaskRow]] = defaultdict(list)
        for row in rows:
            if row.doc.code not in self.existing_tasks:
                new_by_depth[row.doc.code.count(".")].append(row)
        for depth in sorted(new_by_depth):
            batch = []
            for row in new_by_depth[depth]:
                task, fields = row.doc, dict(row.fields)
                if fields["units_illustrative"] is None:
                    fields["units_illustrative"] = plan.units_illustrative
                batch.append(
                    PlanTask(
                        plan=plan,
                        code=task.code,
                        sort_key=code_sort_key(task.code),
                        depth=depth,
                        parent_id=ids.get(task.parent_code) if task.parent_code else None,
                        **fields,
                    )
                )
            for chunk in _chunks(batch):
                PlanTask.objects.bulk_create(chunk)
                done += len(chunk)
                self.tick(str(_("任务")), done, total)
            for obj in batch:
                ids[obj.code] = obj.pk
                self.code_of[obj.pk] = obj.code
                self.created.append(("tasks", obj.code))
        created = done
        updated: list[PlanTask] = []
        changed_fields: set[str] = set()
        for row in rows:
            task, fields = row.doc, row.fields
            obj = self.existing_tasks.get(task.code)
            if obj is None:
                continue
            wanted = {name: fields[name] for name in TASK_FIELDS if name in task.given}
            if "lead" in task.given:
                wanted["lead_unit_id"] = fields["lead_unit_id"]
            wanted["parent_id"] = ids.get(task.parent_code) if task.parent_code else None
            changed = self.diff("tasks", task.code, obj, wanted)
            if changed:
                obj.updated_at = self.now
                updated.append(obj)
                changed_fields.update(changed)
            done += 1
            self.tick(str(_("任务")), done, total)
        for chunk in _chunks(updated):
            PlanTask.objects.bulk_update(chunk, [*sorted(changed_fields), "updated_at"])
        self.updated_tasks = {obj.code for obj in updated}
        in_file = {row.doc.code for row in rows}
        self.not_in_file.extend(
            ("tasks", code) for code in sorted(self.existing_tasks, key=code_sort_key) if code not in in_file
        )
        self.task_created = created
        return ids

    def write_task_units(self, rows: list[TaskRow], ids: dict[str, int]) -> None:
        """Set each task's responsible units to exactly the file's list, in file order (one delete + one insert)."""
        current: dict[int, list[int]] = defaultdict(list)
        existing_ids = [task.pk for task in self.existing_tasks.values()]
        for chunk in _chunks(existing_ids):
            for task_id, unit_id in (
                TaskUnit.objects.filter(task_id__in=chunk)
                .order_by("task_id", "order", "id")
                .values_list("task_id", "unit_id")
            ):
                current[task_id].append(unit_id)
        replaced: list[int] = []
        new_rows: list[TaskUnit] = []
        updated_codes = set(self.updated_tasks)
        for row in rows:
            task, responsible = row.doc, row.responsible
            if responsible is None:
                continue
            task_id = ids[task.code]
            if current.get(task_id, []) == responsible:
                continue
            if task.code in self.existing_tasks:
                replaced.append(task_id)
                self.changes.append(
                    FieldChange(
                        "tasks",
                        task.code,
                        str(PlanTask._meta.get_field("responsible_units").verbose_name),
                        "、".join(self.unit_name(u) for u in current.get(task_id, [])),
                        "、".join(self.unit_name(u) for u in responsible),
                    )
                )
                updated_codes.add(task.code)
            new_rows.extend(
                TaskUnit(task_id=task_id, unit_id=unit_id, order=order) for order, unit_id in enumerate(responsible)
            )
        for chunk in _chunks(replaced):
            TaskUnit.objects.filter(task_id__in=chunk).delete()
        TaskUnit.objects.bulk_create(new_rows, batch_size=_CHUNK)
        _bump_versions(PlanTask, (self.existing_tasks[code].pk for code in updated_codes))
        existing_in_file = sum(1 for row in rows if row.doc.code in self.existing_tasks)
        self.counts["tasks"] = Counts(
            created=self.task_created, updated=len(updated_codes), unchanged=existing_in_file - len(updated_codes)
        )

    def write_indicators(self, plan: Plan, rows: list[IndicatorRow], ids: dict[str, int]) -> None:
        existing = {indicator.code: indicator for indicator in Indicator.objects.filter(plan=plan)}
        targets: dict[int, list[IndicatorTarget]] = defaultdict(list)
        for target in IndicatorTarget.objects.filter(indicator__plan=plan).order_by("indicator_id", "year"):
            targets[target.indicator_id].append(target)
        created: list[Indicator] = []
        field_updates: list[Indicator] = []
        changed_fields: set[str] = set()
        replace_targets: list[Indicator] = []
        updated_codes: set[str] = set()
        new_targets: dict[str, list[IndicatorTarget]] = {}
        for row in rows:
            indicator, fields, interim = row.doc, row.fields, row.interim
            task_id = ids[indicator.task_code]
            obj = existing.get(indicator.code)
            wanted_targets = None
            if interim is not None:
                illustrative = indicator.interim_illustrative
                if "interim_illustrative" not in indicator.given and obj is not None:
                    illustrative = any(t.illustrative for t in targets.get(obj.pk, []))
                wanted_targets = [(year, value, illustrative) for year, value in interim]
            if obj is None:
                created.append(Indicator(plan=plan, task_id=task_id, code=indicator.code, **fields))
                self.created.append(("indicators", indicator.code))
                new_targets[indicator.code] = [
                    IndicatorTarget(year=year, value=value, illustrative=flag)
                    for year, value, flag in wanted_targets or []
                ]
                continue
            wanted = {name: fields[name] for name in INDICATOR_FIELDS if name in indicator.given}
            wanted["task_id"] = task_id
            changed = self.diff("indicators", indicator.code, obj, wanted)
            if changed:
                field_updates.append(obj)
                changed_fields.update(changed)
                updated_codes.add(indicator.code)
            old_targets = [(t.year, t.value, t.illustrative) for t in targets.get(obj.pk, [])]
            if wanted_targets is not None and old_targets != wanted_targets:
                replace_targets.append(obj)
                updated_codes.add(indicator.code)
                new_targets[indicator.code] = [
                    IndicatorTarget(year=year, value=value, illustrative=flag) for year, value, flag in wanted_targets
                ]
                self.changes.append(
                    FieldChange(
                        "indicators",
                        indicator.code,
                        str(_("序时目标")),
                        self.show_targets(old_targets),
                        self.show_targets(wanted_targets),
                    )
                )
        Indicator.objects.bulk_create(created, batch_size=_CHUNK)
        if changed_fields:
            for chunk in _chunks(field_updates):
                Indicator.objects.bulk_update(chunk, sorted(changed_fields))
        for chunk in _chunks([obj.pk for obj in replace_targets]):
            IndicatorTarget.objects.filter(indicator_id__in=chunk).delete()
        by_code = {obj.code: obj for obj in [*created, *replace_targets]}
        target_rows = []
        for code, items in new_targets.items():
            for target in items:
                target.indicator = by_code[code]
                target_rows.append(target)
        IndicatorTarget.objects.bulk_create(target_rows, batch_size=_CHUNK)
        _bump_versions(Indicator, (existing[code].pk for code in updated_codes))
        self.tick(str(_("指标")), len(rows), len(rows))
        in_file = {row.doc.code for row in rows}
        self.not_in_file.extend(("indicators", code) for code in sorted(existing) if code not in in_file)
        self.counts["indicators"] = Counts(
            created=len(created), updated=len(updated_codes), unchanged=len(rows) - len(created) - len(updated_codes)
        )

    def show_targets(self, items: list[tuple[int, Decimal, bool]]) -> str:
        return values.format_interim([(year, value) for year, value, _flag in items])

    def write_milestones(self, rows: list[MilestoneRow], ids: dict[str, int]) -> None:
        task_ids = list(ids.values())
        existing: dict[tuple[int, str], Milestone] = {}
        for chunk in _chunks(task_ids):
            for milestone in Milestone.objects.filter(task_id__in=chunk):
                existing[(milestone.task_id, milestone.code)] = milestone
        created: list[Milestone] = []
        updated: list[Milestone] = []
        changed_fields: set[str] = set()
        total = len(rows)
        for done, row in enumerate(rows, start=1):
            milestone, fields = row.doc, row.fields
            task_id = ids[milestone.task_code]
            key = f"{milestone.task_code}/{milestone.code}"
            obj = existing.get((task_id, milestone.code))
            if obj is None:
                created.append(Milestone(task_id=task_id, code=milestone.code, **fields))
                self.created.append(("milestones", key))
            else:
                wanted = {name: fields[name] for name in MILESTONE_FIELDS if name in milestone.given}
                if "owner" in milestone.given:
                    wanted["owner_unit_id"] = fields["owner_unit_id"]
                if (
                    "due_date" in wanted
                    and wanted["due_date"] != obj.due_date
                    and "original_due_date" not in wanted
                    and obj.original_due_date is None
                ):
                    # A moved milestone keeps the date it was first promised for (调整申请 shows it re-baselined).
                    wanted["original_due_date"] = obj.due_date
                changed = self.diff("milestones", key, obj, wanted)
                if changed:
                    updated.append(obj)
                    changed_fields.update(changed)
            self.tick(str(_("节点")), done, total)
        Milestone.objects.bulk_create(created, batch_size=_CHUNK)
        for chunk in _chunks(updated):
            Milestone.objects.bulk_update(chunk, sorted(changed_fields))
        _bump_versions(Milestone, (obj.pk for obj in updated))
        in_file = {(ids[row.doc.task_code], row.doc.code) for row in rows}
        self.not_in_file.extend(
            ("milestones", f"{self.code_of.get(task_id, task_id)}/{code}")
            for (task_id, code) in sorted(existing, key=lambda k: (code_sort_key(self.code_of.get(k[0], "")), k[1]))
            if (task_id, code) not in in_file
        )
        self.counts["milestones"] = Counts(
            created=len(created), updated=len(updated), unchanged=len(rows) - len(created) - len(updated)
        )
