"""``manage.py load_demo``: units, the Chongqing plan, demo accounts and an open round. Safe to run again."""

from __future__ import annotations

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
from tasks.models import Plan, Report
from tasks.periods import quarter_of
from units.services import units_load
from workflow import services


def current_quarter(today: date) -> tuple[str, date]:
    """The quarter containing ``today`` and its report due date (the 10th day after the quarter ends)."""
    period = quarter_of(today)
    return period.code, period.end + timedelta(days=10)


class Command(BaseCommand):
    help = ("Load the units of Chongqing, the 2023–2027 manufacturing plan, one demo account per role, "
            "and open the current quarter's reporting round (idempotent).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-round", action="store_true", help="do not open a reporting round")

    def handle(self, *args, **options) -> None:
        units = units_load()
        self.stdout.write(f"units: {units.created} created, {units.updated} updated, {units.unchanged} unchanged")
        report = plan_import(source=CHONGQING_PLAN_FILE)
        self.stdout.write(f"plan: {report.summary()}")
        demo_accounts_load()
        names = ", ".join(account.username for account in DEMO_ACCOUNTS)
        self.stdout.write(f"demo accounts (password {DEMO_PASSWORD!r}): {names}")
        if options["no_round"]:
            return
        plan = Plan.objects.get(code=CHONGQING_PLAN_CODE)
        period, due = current_quarter(timezone.localdate())
        round_, created = services.round_open(actor=User.objects.get(username="supervisor"), plan=plan,
                                              period=period, due_date=due)
        # Open it here rather than wait for the worker, so the demo starts with full inboxes.
        round_ = services.round_open_run(round_id=round_.pk)
        state = "opened" if created else "already open"
        self.stdout.write(f"round {round_.period}: {state}, {round_.tasks_opened} tasks, due {round_.due_date}")
        units = set(Report.objects.filter(round=round_).values_list("unit_id", flat=True))
        names = round_accounts_load(unit_ids=units)
        self.stdout.write(f"a reporter and a head for each of the {len(units)} units with a report in the round "
                          f"({len(names)} accounts named <unit-code>-reporter / -head, password {DEMO_PASSWORD!r})")
