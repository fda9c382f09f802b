"""``manage.py load_demo``: units, the Chongqing plan, demo accounts, the plan's illustrative history of past
quarterly rounds (``workflow.demo_history``) and the current quarter's open round. Safe to run again. The past
rounds' 赛马比拼 results are published by ``manage.py load_demo_evaluations`` (the evaluation app's)."""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.utils import timezone

from tasks.demo import (
    CHONGQING_PLAN_CODE,
    CHONGQING_PLAN_FILE,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    demo_accounts_load,
    round_accounts_load,
)
from tasks.importing.apply import plan_import
from tasks.models import Plan, TaskUnit
from tasks.periods import quarter_of
from units.services import units_load
from workflow import services
from workflow.demo_history import history_load


def current_quarter(today: date) -> tuple[str, date]:
    """The quarter containing ``today`` and its report due date (the 10th day after the quarter ends)."""
    period = quarter_of(today)
    return period.code, period.end + timedelta(days=10)


class Command(BaseCommand):
    help = ("Load the units of Chongqing, the 2023–2027 manufacturing plan, one demo account per role, an "
            "illustrative history of past quarterly rounds, and open the current quarter's round (idempotent).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-round", action="store_true", help="do not open a reporting round")
        parser.add_argument("--no-history", action="store_true", help="do not build the past rounds' history")

    def handle(self, *args, **options) -> None:
        units = units_load()
        self.stdout.write(f"units: {units.created} created, {units.updated} updated, {units.unchanged} unchanged")
        report = plan_import(source=CHONGQING_PLAN_FILE)
        self.stdout.write(f"plan: {report.summary()}")
        demo_accounts_load()
        names = ", ".join(account.username for account in DEMO_ACCOUNTS)
        self.stdout.write(f"demo accounts (password {DEMO_PASSWORD!r}): {names}")
        plan = Plan.objects.get(code=CHONGQING_PLAN_CODE)
        units = set(TaskUnit.objects.filter(task__plan=plan).values_list("unit_id", flat=True))
        units |= set(plan.tasks.filter(lead_unit__isnull=False).values_list("lead_unit_id", flat=True))
        names = round_accounts_load(unit_ids=units)
        self.stdout.write(f"a reporter and a head for each of the {len(units)} units with a part in the plan "
                          f"({len(names)} accounts named <unit-code>-reporter / -head, password {DEMO_PASSWORD!r})")
        if not options["no_history"]:
            started = time.monotonic()
            history = history_load(plan=plan, today=timezone.localdate())
            self.stdout.write(f"{history.summary()} in {time.monotonic() - started:.1f} s (示例)")
        if options["no_round"]:
            return
        period, due = current_quarter(timezone.localdate())
        round_, created = services.round_open(actor=User.objects.get(username="supervisor"), plan=plan,
                                              period=period, due_date=due)
        # Open it here rather than wait for the worker, so the demo starts with full inboxes.
        round_ = services.round_open_run(round_id=round_.pk)
        state = "opened" if created else "already open"
        self.stdout.write(f"round {round_.period}: {state}, {round_.tasks_opened} tasks, due {round_.due_date}")

