"""``manage.py load_demo``: units, the Chongqing plan and demo accounts. Safe to run again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tasks.demo import CHONGQING_PLAN_FILE, DEMO_ACCOUNTS, DEMO_PASSWORD, demo_accounts_load
from tasks.importing.apply import plan_import
from units.services import units_load


class Command(BaseCommand):
    help = "Load the units of Chongqing, the 2023–2027 manufacturing plan and one demo account per role (idempotent)."

    def handle(self, *args, **options) -> None:
        units = units_load()
        self.stdout.write(f"units: {units.created} created, {units.updated} updated, {units.unchanged} unchanged")
        report = plan_import(source=CHONGQING_PLAN_FILE)
        self.stdout.write(f"plan: {report.summary()}")
        demo_accounts_load()
        names = ", ".join(account.username for account in DEMO_ACCOUNTS)
        self.stdout.write(f"demo accounts (password {DEMO_PASSWORD!r}): {names}")
