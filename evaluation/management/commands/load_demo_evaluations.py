"""``manage.py load_demo_evaluations``: publish the 赛马比拼 of every past quarter of the demo's illustrative history
(``evaluation.demo``), after ``manage.py load_demo``. Safe to run again."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from evaluation.demo import evaluations_load
from tasks.demo import CHONGQING_PLAN_CODE
from tasks.models import Plan


class Command(BaseCommand):
    help = "Publish a 赛马比拼 for every past quarter of the demo's illustrative history (idempotent)."

    def handle(self, *args, **options) -> None:
        plan = Plan.objects.get(code=CHONGQING_PLAN_CODE)
        started = time.monotonic()
        report = evaluations_load(plan=plan, today=timezone.localdate())
        self.stdout.write(f"{report.summary()} in {time.monotonic() - started:.1f} s (示例)")
