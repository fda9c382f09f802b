"""Province-scale register: import time, and list-request latency of /api/tasks/ and /api/milestones/.

    python -m bench.bench_register [--tasks 5000] [--requests 200]

Runs on the database DATABASE_URL names (SQLite by default), in a throwaway test database.
Baselines measured in the same run: /healthz (the framework's floor: middleware, session,
one query) and the same page fetched straight from the ORM with .values() (no DRF).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from bench.common import fmt, percentiles, setup_django, throwaway_database, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--milestones", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    setup_django()
    from django.contrib.auth.models import User
    from django.test import Client

    from bench.generate import write
    from tasks.importing.apply import plan_import
    from tasks.models import Milestone, PlanTask
    from units.models import Membership, Unit
    from units.services import units_load

    with throwaway_database() as vendor, tempfile.TemporaryDirectory() as tmp:
        units_load()
        source = write(Path(tmp) / "province.yaml", tasks=args.tasks, milestones_per_task=args.milestones)
        first_s, report = timed(lambda: plan_import(source=source))
        again_s, again = timed(lambda: plan_import(source=source))
        tasks_n, milestones_n = PlanTask.objects.count(), Milestone.objects.count()

        user = User.objects.create_user("bench")
        Membership.objects.create(user=user, unit=Unit.objects.get(short_name="市政府办公厅"), role="supervisor")
        client = Client()
        client.force_login(user)
        rng = random.Random(1)
        units = list(Unit.objects.filter(track__isnull=False).values_list("code", flat=True))
        pages_tasks = max(1, tasks_n // 50)
        pages_ms = max(1, milestones_n // 50)

        def sample(make_url) -> dict[str, float]:
            for _ in range(10):
                client.get(make_url())
            samples = []
            for _ in range(args.requests):
                url = make_url()
                elapsed, response = timed(lambda url=url: client.get(url))
                assert response.status_code == 200, (url, response.status_code)
                samples.append(elapsed)
            return percentiles(samples)

        def orm_page() -> dict[str, float]:
            samples = []
            for _ in range(args.requests):
                page = rng.randrange(pages_tasks)
                elapsed, _ = timed(lambda page=page: list(
                    PlanTask.objects.order_by("plan_id", "sort_key").values()[page * 50: page * 50 + 50]))
                samples.append(elapsed)
            return percentiles(samples)

        results = {
            "baseline /healthz": sample(lambda: "/healthz"),
            "baseline ORM .values() page of 50 tasks": orm_page(),
            "/api/tasks/?page=N": sample(lambda: f"/api/tasks/?page={rng.randrange(1, pages_tasks + 1)}"),
            "/api/tasks/?unit=X&role=lead": sample(lambda: f"/api/tasks/?unit={rng.choice(units)}&role=lead"),
            "/api/tasks/?q=…": sample(lambda: f"/api/tasks/?q=第{rng.randrange(1, tasks_n)}项"),
            "/api/milestones/?page=N": sample(lambda: f"/api/milestones/?page={rng.randrange(1, pages_ms + 1)}"),
            "/api/milestones/?overdue=true": sample(lambda: "/api/milestones/?overdue=true"),
            "/api/milestones/?unit=X&due_before=…": sample(
                lambda: f"/api/milestones/?unit={rng.choice(units)}&due_before=2026-12-31"),
        }

        print(f"\nRegister benchmark on {vendor}: {tasks_n} tasks, {milestones_n} milestones, "
              f"{Unit.objects.count()} units")
        print(f"  import (first):            {first_s:7.2f} s   {report.summary()}")
        print(f"  import (again, no change): {again_s:7.2f} s   {again.summary()}")
        width = max(len(name) for name in results)
        for name, stats in results.items():
            print(f"  {name:<{width}}  {fmt(stats)}")


if __name__ == "__main__":
    main()
