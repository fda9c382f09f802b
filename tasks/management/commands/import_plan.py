"""``manage.py import_plan FILE [--dry-run] [--plan CODE]``: load a plan YAML or an Excel 台账."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from tasks.importing.apply import plan_import
from tasks.importing.errors import PlanImportError

# Below this many objects an import is quick; progress lines would only be noise.
_PROGRESS_FROM = 1000


class Command(BaseCommand):
    help = str(
        _(
            "导入行动方案（YAML 或 Excel 台账 .xlsx）：按编号新建或更新任务、指标和节点，从不删除。"
            "任何错误都不写入数据。格式见 docs/import-format.md。"
        )
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=str(_("方案文件（.yaml / .yml / .xlsx）")))
        parser.add_argument("--dry-run", action="store_true", help=str(_("只显示将发生的变更，不写入")))
        parser.add_argument("--plan", dest="plan_code", help=str(_("目标方案代码（缺省取文件中的方案代码）")))

    def progress(self, stage: str, done: int, total: int) -> None:
        if total >= _PROGRESS_FROM:
            self.stderr.write(f"{stage} {done}/{total} ({done * 100 // total}%)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = plan_import(
                source=options["file"],
                plan_code=options["plan_code"],
                dry_run=options["dry_run"],
                progress=self.progress,
            )
        except PlanImportError as exc:
            count = len(exc.problems)
            raise CommandError(
                str(_("导入失败（%(n)d 个问题），未写入任何数据：") % {"n": count}) + "\n" + str(exc)
            ) from exc
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(report.summary())
