"""``manage.py load_demo_reminders``: two 督办单 in flight and the leadership's last weekly briefing for the demo
(``notifications.demo``), after ``manage.py load_demo`` and ``load_demo_evaluations``. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.demo import reminders_demo_load


class Command(BaseCommand):
    help = "Put two 督办单 in flight and write last week's leadership briefing for the demo (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = reminders_demo_load(now=timezone.now())
        self.stdout.write(f"{report.summary()} (示例)")
