"""``manage.py load_units``: the real units of Chongqing and the tracks they are ranked in. Safe to run again.

What a production database needs before a plan can be imported: no demo account, no plan, no round.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from units.services import units_load


class Command(BaseCommand):
    help = "Load (or refresh) the units of Chongqing and their tracks, without any demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = units_load()
        self.stdout.write(f"units: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
