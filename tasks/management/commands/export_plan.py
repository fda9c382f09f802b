"""``manage.py export_plan CODE -o FILE.xlsx``: write a plan's register as an Excel 台账."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from tasks.importing.xlsx_writer import plan_export
from tasks.models import Plan


class Command(BaseCommand):
    help = str(_("导出行动方案台账（.xlsx，含 方案、指标、节点 工作表），可用 import_plan 原样导回。"))

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help=str(_("方案代码")))
        parser.add_argument("-o", "--output", type=Path, required=True, help=str(_("输出文件（.xlsx）")))

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(code=options["code"]).first()
        if plan is None:
            raise CommandError(str(_("方案不存在：%(code)s") % {"code": options["code"]}))
        output: Path = options["output"]
        if output.suffix.lower() != ".xlsx":
            raise CommandError(str(_("输出文件须以 .xlsx 结尾：%(path)s") % {"path": output}))
        plan_export(plan=plan, path=output)
        count = plan.tasks.count()
        self.stdout.write(
            str(_("已导出 %(code)s（%(n)d 个任务）→ %(path)s") % {"code": plan.code, "n": count, "path": output})
        )
