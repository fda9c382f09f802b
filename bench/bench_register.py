"""Province-scale register: import time, and list-request latency of /api/tasks/ and /api/milestones/.

    python -m bench.bench_register [--tasks 5000] [--requests 200]

Runs on the database DATABASE_URL names (SQLite by default), in a throwaway test database.
For each list: the first page, a deep page by cursor and by number (the last tenth of the pages;
cursor links are collected by walking ``next`` from the first page to the last, which also checks
that every row comes exactly once), any page by number, and filtered lists. Each row gives
p50 / p95 / max and the queries of a request (session, user and scope included), against the
target (p95 <= 50 ms) and two baselines measured in the same run: /healthz (the framework's floor:
middleware, session, one query) and a page of the same rows fetched straight from the ORM with
.values() (no DRF, no joins).

Beside the wall-clock figures, "cpu" is this process's CPU time per request: on a shared machine
it shows what the code costs when the wall clock also counts waiting for a core. On SQLite it
includes the database's work; on PostgreSQL the server's work is in the wall clock only.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import count_queries, fmt, percentiles, setup_django, throwaway_database, timed

TARGET_P95_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--milestones", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    setup_django()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.db.models import QuerySet
    from django.test import Client

    from bench.generate import write
    from tasks.importing.apply import plan_import
    from tasks.models import Milestone, PlanTask
    from units.models import Membership, Unit
    from units.services import units_load

    load_before = os.getloadavg()
    with throwaway_database() as vendor, tempfile.TemporaryDirectory() as tmp:
        units_load()
        source = write(Path(tmp) / "province.yaml", tasks=args.tasks, milestones_per_task=args.milestones)
        first_s, report = timed(lambda: plan_import(source=source))
        again_s, again = timed(lambda: plan_import(source=source))
        tasks_n, milestones_n = PlanTask.objects.count(), Milestone.objects.count()
        if vendor == "postgresql":
            # Autovacuum would analyze after a bulk load like this, but maybe not before the bench is done:
            # without statistics the planner guesses, and the numbers would depend on its timing.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        user = User.objects.create_user("bench")
        Membership.objects.create(user=user, unit=Unit.objects.get(short_name="市政府办公厅"), role="supervisor")
        client = Client()
        client.force_login(user)
        rng = random.Random(1)
        units = list(Unit.objects.filter(track__isnull=False).values_list("code", flat=True))
        pages_tasks = max(1, tasks_n // 50)
        pages_ms = max(1, milestones_n // 50)

        def sample(make_url: Callable[[], str]) -> dict[str, float]:
            """Latency of ``--requests`` requests (after 10 to warm up, whose queries are counted)."""
            queries = []
            for _ in range(10):
                with count_queries() as counted:
                    client.get(make_url())
                queries.append(counted.n)
            samples, cpu = [], []
            for _ in range(args.requests):
                url = make_url()
                cpu_start = time.process_time()
                elapsed, response = timed(lambda url=url: client.get(url))
                cpu.append(time.process_time() - cpu_start)
                assert response.status_code == 200, (url, response.status_code)
                samples.append(elapsed)
            cpu_stats = percentiles(cpu)
            return {
                **percentiles(samples), "queries_min": min(queries), "queries_max": max(queries),
                "cpu_p50": cpu_stats["p50"], "cpu_p95": cpu_stats["p95"],
            }

        def orm_page(ordered: QuerySet, pages: int) -> dict[str, float]:
            samples, cpu = [], []
            for _ in range(args.requests):
                page = rng.randrange(pages)
                cpu_start = time.process_time()
                elapsed, _ = timed(lambda page=page: list(ordered.values()[page * 50: page * 50 + 50]))
                cpu.append(time.process_time() - cpu_start)
                samples.append(elapsed)
            cpu_stats = percentiles(cpu)
            return {
                **percentiles(samples), "queries_min": 1, "queries_max": 1,
                "cpu_p50": cpu_stats["p50"], "cpu_p95": cpu_stats["p95"],
            }

        def walk(url: str) -> tuple[list[str], str]:
            """Follow ``next`` from the first page to the end: the cursor links met, and whether every row came once."""
            links, seen, count = [], [], None
            while url:
                body = client.get(url).json()
                count = body["count"] if count is None else count
                seen += [row["id"] for row in body["results"]]
                url = body["next"]
                if url and "cursor=" not in url:
                    return [], "no cursor links"
                if url:
                    links.append(url)
            once = len(seen) == len(set(seen)) == count
            return links, f"{len(links) + 1} pages, {len(seen)} rows{'' if once else ' (NOT every row once)'}"

        def sample_cursor(links: list[str]) -> dict[str, float] | None:
            return sample(lambda: rng.choice(links)) if links else None

        def deep(links: list[str]) -> list[str]:
            """The cursor links of the last tenth of the pages."""
            return links[len(links) * 9 // 10:]

        def deep_page(pages: int) -> int:
            return rng.randrange(pages * 9 // 10 + 1, pages + 1)

        task_cursors, task_walk = walk("/api/tasks/")
        milestone_cursors, milestone_walk = walk("/api/milestones/")
        walks = f"/api/tasks/ {task_walk}; /api/milestones/ {milestone_walk}"

        results: dict[str, dict[str, float] | None] = {
            "baseline /healthz": sample(lambda: "/healthz"),
            "baseline ORM .values() page of 50 tasks": orm_page(
                PlanTask.objects.order_by("plan_id", "sort_key"), pages_tasks),
            "baseline ORM .values() page of 50 milestones": orm_page(
                Milestone.objects.order_by("task_id", "due_date", "order", "code"), pages_ms),
            "/api/tasks/ (first page)": sample(lambda: "/api/tasks/"),
            "/api/tasks/?cursor=… (last tenth)": sample_cursor(deep(task_cursors)),
            "/api/tasks/?page=N (last tenth)": sample(lambda: f"/api/tasks/?page={deep_page(pages_tasks)}"),
            "/api/tasks/?page=N (any page)": sample(lambda: f"/api/tasks/?page={rng.randrange(1, pages_tasks + 1)}"),
            "/api/tasks/?unit=X&role=lead": sample(lambda: f"/api/tasks/?unit={rng.choice(units)}&role=lead"),
            "/api/tasks/?q=…": sample(lambda: f"/api/tasks/?q=第{rng.randrange(1, tasks_n)}项"),
            "/api/milestones/ (first page)": sample(lambda: "/api/milestones/"),
            "/api/milestones/?cursor=… (last tenth)": sample_cursor(deep(milestone_cursors)),
            "/api/milestones/?page=N (last tenth)": sample(lambda: f"/api/milestones/?page={deep_page(pages_ms)}"),
            "/api/milestones/?page=N (any page)": sample(
                lambda: f"/api/milestones/?page={rng.randrange(1, pages_ms + 1)}"),
            "/api/milestones/?overdue=true": sample(lambda: "/api/milestones/?overdue=true"),
            "/api/milestones/?unit=X&due_before=…": sample(
                lambda: f"/api/milestones/?unit={rng.choice(units)}&due_before=2026-12-31"),
        }

        print(f"\nRegister benchmark on {vendor}: {tasks_n} tasks, {milestones_n} milestones, "
              f"{Unit.objects.count()} units; {args.requests} requests a row; target p95 <= {TARGET_P95_MS:.0f} ms")
        print(f"  import (first):            {first_s:7.2f} s   {report.summary()}")
        print(f"  import (again, no change): {again_s:7.2f} s   {again.summary()}")
        print(f"  load average (1, 5, 15 min): before {_load(load_before)}, after {_load(os.getloadavg())}")
        print(f"  cursor walk: {walks}")
        width = max(len(name) for name in results)
        for name, stats in results.items():
            if stats is None:
                print(f"  {name:<{width}}  n/a (the API gives no cursor links)")
                continue
            verdict = "" if name.startswith("baseline") else (
                "  ok" if stats["p95"] <= TARGET_P95_MS else "  over target")
            print(f"  {name:<{width}}  {fmt(stats)}   cpu p50 {stats['cpu_p50']:5.1f} p95 {stats['cpu_p95']:5.1f} ms"
                  f"   {queries_text(stats)}{verdict}")


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.1f}" for value in averages)


def queries_text(stats: dict[str, float]) -> str:
    low, high = int(stats["queries_min"]), int(stats["queries_max"])
    return f"{low:2d} queries" if low == high else f"{low}-{high} queries"


if __name__ == "__main__":
    main()
