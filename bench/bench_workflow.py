"""Reporting-loop benchmark: open a province-scale round, drive every branch to approval, read the inbox.

    python -m bench.bench_workflow [--tasks 5000] [--branches 2.4 × tasks] [--bare 1000] [--requests 200] [--profile]

Runs on the database DATABASE_URL names (SQLite by default), in a throwaway test database:

1. loads the units and imports the generated plan (bench.generate); generate.py gives each leaf task 1–3
   responsible units, so the branches (one part report per responsible unit) are topped up to
   ``--branches`` by adding responsible units to tasks in turn (``--branches 0`` keeps the generated ones);
2. creates a reporter and a head for every unit and one supervisor;
3. opens round 2025-Q3 through the services (round_open + round_open_run): processes/s;
4. drives every branch through the services, one fresh user load per call as in a request: saves each
   part's draft (report_update: not a transition), then fill (report_submit), sign off, consolidate (the
   lead unit submits to review) and — after the inbox is measured — approve. A transition is one completed
   human step (fill, sign_off, consolidate, lead_sign_off, review), so a task with n parts makes 2n + 3;
5. with round 2025-Q3 in review and round 2025-Q4 opened and left unfilled, times /api/inbox/ (Django test
   client, session login) for the supervisor and for the reporter of the busiest unit;
6. in the same database, the floor: ``workflow.flows.BareFlow`` (start → one view → end) started and
   completed ``--bare`` times through the same activation API and lock, once before step 3 and once at
   the end (a long run on a shared machine sees its load change; the ratio uses both).

Prints one table: processes/s, transitions/s, queries per process and per transition, ours against bare
beside the targets: per transition ≥ 0.6 × bare, opening ≥ 3 × bare's start rate, ≤ 100 queries per process,
and inbox latency p50/p95 (target p95 ≤ 50 ms).
``--profile`` also prints the top cProfile entries of driving ours and of driving bare.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import count_queries, fmt, percentiles, setup_django, throwaway_database, timed

PLAN_CODE = "bench-province"


@dataclass
class Phase:
    """One timed stretch of work: how long, how many statements, service calls and flow transitions."""

    name: str
    seconds: float
    queries: int
    calls: int
    transitions: int = 0
    processes: int = 0

    def per_s(self, count: int) -> float:
        return count / self.seconds if self.seconds else 0.0


class Profiler:
    """cProfile around chosen blocks when --profile is on; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.profiles: dict[str, cProfile.Profile] = {}

    @contextmanager
    def __call__(self, name: str) -> Any:
        if not self.enabled:
            yield
            return
        profile = self.profiles.setdefault(name, cProfile.Profile())
        profile.enable()
        try:
            yield
        finally:
            profile.disable()

    def report(self, top: int = 25) -> None:
        for name, profile in self.profiles.items():
            for key in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profile, stream=out).strip_dirs().sort_stats(key).print_stats(top)
                print(f"\n--- profile: {name}, by {key} ---")
                print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def run_phase(name: str, items: Iterable[Any], step: Callable[[Any], None], *, calls: int, transitions: int = 0,
              processes: int = 0) -> Phase:
    with count_queries() as queries:
        start = time.perf_counter()
        for item in items:
            step(item)
        seconds = time.perf_counter() - start
    return Phase(name, seconds, queries.n, calls, transitions, processes)


def top_up_branches(plan: Any, target: int) -> tuple[int, int]:
    """Add responsible units to leaf tasks in turn until the round would have ``target`` part reports.

    Returns (branches generate.py produced, branches now). Deterministic."""
    from tasks.models import TaskUnit
    from units.models import Unit
    from workflow.services import reportable_tasks

    tasks = list(reportable_tasks(plan).prefetch_related("task_units"))
    linked = {task.pk: {link.unit_id for link in task.task_units.all()} for task in tasks}
    natural = sum(max(1, len(units)) for units in linked.values())
    units = list(Unit.objects.filter(track__isnull=False).values_list("pk", flat=True))
    rng = random.Random(11)
    extra: list[TaskUnit] = []
    total = natural
    while total < target:
        progressed = False
        for task in tasks:
            if total >= target:
                break
            choices = [u for u in units if u not in linked[task.pk] and u != task.lead_unit_id]
            if not choices or not linked[task.pk]:
                continue
            unit_id = rng.choice(choices)
            extra.append(TaskUnit(task_id=task.pk, unit_id=unit_id, order=len(linked[task.pk])))
            linked[task.pk].add(unit_id)
            total += 1
            progressed = True
        if not progressed:
            break
    TaskUnit.objects.bulk_create(extra, batch_size=1000)
    return natural, total


def make_people() -> tuple[dict[int, int], dict[int, int], int]:
    """A reporter and a head for every unit, and a supervisor. Returns user ids by unit, and the supervisor's."""
    from django.contrib.auth.models import User

    from units.models import Membership, Unit

    units = list(Unit.objects.all())
    User.objects.bulk_create([User(username=f"{kind}-{unit.code}", password="!")
                              for unit in units for kind in ("r", "h")] + [User(username="bench-sup", password="!")])
    ids = dict(User.objects.values_list("username", "pk"))
    role = Membership.Role
    memberships = [Membership(user_id=ids[f"r-{u.code}"], unit=u, role=role.REPORTER) for u in units]
    memberships += [Membership(user_id=ids[f"h-{u.code}"], unit=u, role=role.HEAD) for u in units]
    office = next(u for u in units if u.short_name == "市政府办公厅")
    memberships.append(Membership(user_id=ids["bench-sup"], unit=office, role=role.SUPERVISOR))
    Membership.objects.bulk_create(memberships)
    return ({u.pk: ids[f"r-{u.code}"] for u in units}, {u.pk: ids[f"h-{u.code}"] for u in units}, ids["bench-sup"])


def acting(user_id: int) -> Any:
    """The acting user as a request loads it (so the scope query is paid per call, as per request)."""
    from django.contrib.auth.models import User

    return User.objects.get(pk=user_id)


def run_bare(n: int, supervisor_id: int, profiler: Profiler, when: str) -> tuple[Phase, Phase]:
    """Start ``n`` BareFlow processes (chunks of 100 per transaction, as round_open_run) and complete each
    one's view in its own transaction (as a service). Returns (start, complete)."""
    from django.db import transaction
    from viewflow.workflow.models import Task as FlowTask

    from workflow.flows import BareFlow

    def start_chunk(size: int) -> None:
        with transaction.atomic():
            for _ in range(size):
                BareFlow.start.run()

    def complete(task_id: int) -> None:
        with transaction.atomic():
            user = acting(supervisor_id)
            task = FlowTask.objects.get(pk=task_id)
            with task.activation() as activation:
                activation.assign(user)
                activation.start(None)
                activation.execute()

    done_before = FlowTask.objects.filter(flow_task=BareFlow.end).count()
    started = run_phase(f"bare ({when}): start", [min(100, n - k) for k in range(0, n, 100)], start_chunk,
                        calls=n, processes=n)
    open_steps = list(FlowTask.objects.filter(flow_task=BareFlow.step, status="NEW").values_list("pk", flat=True))
    with profiler("bare: complete the view"):
        completed = run_phase(f"bare ({when}): complete the view", open_steps, complete, calls=len(open_steps),
                              transitions=len(open_steps))
    assert FlowTask.objects.filter(flow_task=BareFlow.end, status="DONE").count() - done_before == n
    return started, completed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--branches", type=int, default=None,
                        help="part reports per round (default 2.4 per task: 12,000 for 5,000; 0: as generated)")
    parser.add_argument("--bare", type=int, default=1000, help="processes of the bare baseline flow")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print cProfile tops of driving ours and bare")
    args = parser.parse_args()
    if args.branches is None:
        args.branches = round(args.tasks * 2.4)

    setup_django()
    from django.test import Client
    from django.urls import resolve

    from bench.generate import write
    from tasks.importing.apply import plan_import
    from tasks.models import Milestone, Plan, PlanTask, Report, ReportingRound
    from units.models import Unit
    from workflow import selectors, services

    # Import the URLconf now: a page module broken later (while the run goes on) must not lose the run.
    resolve("/api/inbox/")
    profiler = Profiler(args.profile)
    wall = time.perf_counter()
    with throwaway_database() as vendor, tempfile.TemporaryDirectory() as tmp:
        units_load_s, _ = timed(_units_load)
        source = write(Path(tmp) / "province.yaml", tasks=args.tasks)
        import_s, _ = timed(lambda: plan_import(source=source))
        plan = Plan.objects.get(code=PLAN_CODE)
        natural, _ = top_up_branches(plan, args.branches) if args.branches else (None, None)
        reporter_of, head_of, supervisor_id = make_people()
        first_milestone = dict(Milestone.objects.filter(task__plan=plan, code="M1").values_list("task_id", "pk"))
        print(f"\nWorkflow benchmark on {vendor}: {PlanTask.objects.filter(plan=plan).count()} tasks "
              f"(units {units_load_s:.1f} s, import {import_s:.1f} s)", flush=True)

        # The floor, measured before and after ours: the machine's load may change during a long run.
        bare_before = run_bare(args.bare, supervisor_id, profiler, "before")

        # --- open round 1 ---------------------------------------------------------------------------------
        def open_round(period: str, due: date) -> ReportingRound:
            round_, _ = services.round_open(actor=acting(supervisor_id), plan=plan, period=period, due_date=due)
            # Under the test settings the on-commit job already ran inline; this returns at once then.
            return services.round_open_run(round_id=round_.pk)

        with count_queries() as q:
            open_s, round1 = timed(lambda: open_round("2025-Q3", date(2025, 10, 10)))
        open1 = Phase("open round (round_open + round_open_run)", open_s, q.n, 1, processes=round1.tasks_opened)
        parts = list(Report.objects.filter(round=round1, kind=Report.Kind.PART)
                     .order_by("task__sort_key", "unit__order").values_list("pk", "unit_id", "task_id"))
        task_reports = list(Report.objects.filter(round=round1, kind=Report.Kind.TASK)
                            .order_by("task__sort_key").values_list("pk", "unit_id"))
        print(f"  round 2025-Q3 open: {round1.tasks_opened} processes, {len(parts)} part reports "
              f"(generated {natural if natural is not None else len(parts)}) in {open_s:.1f} s", flush=True)

        # --- drive: fill, sign off, consolidate --------------------------------------------------------
        def save_draft(part: tuple[int, int, int]) -> None:
            pk, unit_id, task_id = part
            data: dict[str, Any] = {"narrative": "按计划推进，已完成阶段性目标。", "percent_complete": "50"}
            if task_id in first_milestone:
                data["milestone_claims"] = [{"milestone": first_milestone[task_id], "completed_date": "2024-12-20",
                                             "evidence": "验收报告"}]
            services.report_update(actor=acting(reporter_of[unit_id]), report_id=pk,
                                   content=services.report_content(data))

        def submit(part: tuple[int, int, int]) -> None:
            services.report_submit(actor=acting(reporter_of[part[1]]), report_id=part[0])

        def sign_off(part: tuple[int, int, int]) -> None:
            services.report_sign_off(actor=acting(head_of[part[1]]), report_id=part[0])

        def consolidate(task_report: tuple[int, int]) -> None:
            services.report_submit(actor=acting(reporter_of[task_report[1]]), report_id=task_report[0])

        def lead_sign_off(task_report: tuple[int, int]) -> None:
            services.report_sign_off(actor=acting(head_of[task_report[1]]), report_id=task_report[0])

        def approve(task_report: tuple[int, int]) -> None:
            services.report_approve(actor=acting(supervisor_id), report_id=task_report[0])

        phases: list[Phase] = []
        with profiler("ours: fill, sign off, consolidate, approve"):
            phases.append(run_phase("save draft (report_update, no transition)", parts, save_draft,
                                    calls=len(parts)))
            print(f"  save drafts: {phases[-1].seconds:.1f} s", flush=True)
            phases.append(run_phase("fill: submit", parts, submit, calls=len(parts), transitions=len(parts)))
            print(f"  submit: {phases[-1].seconds:.1f} s", flush=True)
            phases.append(run_phase("sign off", parts, sign_off, calls=len(parts), transitions=len(parts)))
            print(f"  sign off: {phases[-1].seconds:.1f} s", flush=True)
            phases.append(run_phase("consolidate: submit to the lead head", task_reports, consolidate,
                                    calls=len(task_reports), transitions=len(task_reports)))
            print(f"  consolidate: {phases[-1].seconds:.1f} s", flush=True)
            phases.append(run_phase("lead head signs off: to review", task_reports, lead_sign_off,
                                    calls=len(task_reports), transitions=len(task_reports)))
            print(f"  lead sign-off: {phases[-1].seconds:.1f} s", flush=True)

        # --- the inbox, with round 1 in review and round 2 open and unfilled --------------------------------
        with count_queries() as q:
            open2_s, round2 = timed(lambda: open_round("2025-Q4", date(2026, 1, 10)))
        open2 = Phase("open a second round (fuller tables)", open2_s, q.n, 1, processes=round2.tasks_opened)
        print(f"  round 2025-Q4 open: {open2_s:.1f} s", flush=True)
        busy_unit = max(reporter_of, key=lambda u: Report.objects.filter(round=round2, kind="part", unit_id=u).count())
        people = {"supervisor": acting(supervisor_id),
                  f"reporter of {Unit.objects.get(pk=busy_unit).short_name}": acting(reporter_of[busy_unit])}
        open_items = Report.objects.filter(round__status="open").exclude(status__in=["waiting", "signed_off",
                                                                                     "approved"]).count()
        inbox_rows: list[tuple[str, int, dict[str, float]]] = []
        rng = random.Random(3)
        floor = Client()
        floor.force_login(people["supervisor"])
        inbox_rows.append(("baseline /healthz (framework floor)", 0, sample(floor, lambda: "/healthz", args.requests)))
        for label, user in people.items():
            items = selectors.inbox(user=user).count()
            client = Client()
            client.force_login(user)
            pages = max(1, (items + 49) // 50)
            for name, url in (("/api/inbox/", lambda: "/api/inbox/"),
                              ("/api/inbox/?page=N", lambda pages=pages: f"/api/inbox/?page={rng.randint(1, pages)}"),
                              ("/api/inbox/counts/", lambda: "/api/inbox/counts/")):
                inbox_rows.append((f"{name} ({label})", items, sample(client, url, args.requests)))
            inbox_rows.append((f"selectors.inbox page of 50 + count ({label})", items,
                               sample_call(lambda user=user: (selectors.inbox(user=user).count(),
                                                              list(selectors.inbox(user=user)[:50])),
                                           args.requests)))

        with profiler("ours: fill, sign off, consolidate, approve"):
            phases.append(run_phase("review: approve (+ apply)", task_reports, approve, calls=len(task_reports),
                                    transitions=len(task_reports)))
            print(f"  approve: {phases[-1].seconds:.1f} s", flush=True)
        approved = Report.objects.filter(round=round1, status=Report.Status.APPROVED).count()
        assert approved == len(parts) + len(task_reports), (approved, len(parts), len(task_reports))
        done_milestones = Milestone.objects.filter(task__plan=plan, status=Milestone.Status.DONE).count()

        bare_after = run_bare(args.bare, supervisor_id, profiler, "after")

        # --- the table ------------------------------------------------------------------------------------
        drive = Phase("ours: drafts + all human steps", sum(p.seconds for p in phases),
                      sum(p.queries for p in phases), sum(p.calls for p in phases),
                      sum(p.transitions for p in phases))
        stepping = [p for p in phases if p.transitions]
        steps = Phase("ours: human steps only (no drafts)", sum(p.seconds for p in stepping),
                      sum(p.queries for p in stepping), sum(p.calls for p in stepping),
                      sum(p.transitions for p in stepping))
        tasks_n = round1.tasks_opened
        print(f"\nWorkflow benchmark on {vendor}: {tasks_n} processes (tasks), {len(parts)} branches "
              f"(generate.py gave {natural}; --branches {args.branches}), {Unit.objects.count()} units, "
              f"{2 * len(reporter_of) + 1} users; {done_milestones} milestones applied; "
              f"wall {time.perf_counter() - wall:.0f} s")
        print(f"\n  {'phase':<44} {'s':>8} {'calls':>7} {'trans.':>7} {'trans./s':>9} {'proc./s':>8} "
              f"{'q/call':>7} {'ms/call':>8}")
        bare_open = Phase("bare (both): start", bare_before[0].seconds + bare_after[0].seconds,
                          bare_before[0].queries + bare_after[0].queries, 2 * args.bare, processes=2 * args.bare)
        bare_drive = Phase("bare (both): complete the view", bare_before[1].seconds + bare_after[1].seconds,
                           bare_before[1].queries + bare_after[1].queries, 2 * args.bare, 2 * args.bare)
        for p in [open1, *phases, drive, steps, open2, *bare_before, *bare_after, bare_open, bare_drive]:
            print(f"  {p.name:<44} {p.seconds:8.2f} {p.calls:7d} {p.transitions:7d} "
                  f"{p.per_s(p.transitions):9.1f} {p.per_s(p.processes):8.1f} {p.queries / max(p.calls, 1):7.1f} "
                  f"{1000 * p.seconds / max(p.calls, 1):8.2f}")

        bare_n = 2 * args.bare
        bare_tps = bare_drive.per_s(bare_drive.transitions)
        print("\n  ours vs bare (BareFlow: start → view → end, same activation API and lock; bare before + after)")
        print(f"    opening: {open1.per_s(tasks_n):.1f} processes/s vs bare start {bare_open.per_s(bare_n):.1f}/s "
              f"(ratio {open1.per_s(tasks_n) / bare_open.per_s(bare_n):.2f}; target ≥ 3)")
        for label, ours in (("per transition, drafts included", drive), ("per transition, steps only", steps)):
            tps = ours.per_s(ours.transitions)
            print(f"    {label}: {tps:.1f}/s vs bare {bare_tps:.1f}/s → ratio {tps / bare_tps:.2f} (target ≥ 0.60); "
                  f"{1000 / tps:.2f} ms vs {1000 / bare_tps:.2f} ms; "
                  f"{ours.queries / ours.transitions:.1f} vs {bare_drive.queries / bare_drive.transitions:.1f} queries")
        ours_process_s = (open1.seconds + drive.seconds) / tasks_n
        bare_process_s = (bare_open.seconds + bare_drive.seconds) / bare_n
        print(f"    whole process: {1 / ours_process_s:.1f} processes/s ({drive.transitions / tasks_n:.1f} "
              f"transitions each) vs bare {1 / bare_process_s:.1f}/s (1 transition)")
        print(f"    queries per process (target ≤ 100): ours {(open1.queries + drive.queries) / tasks_n:.0f} "
              f"(open {open1.queries / tasks_n:.1f} + drive {drive.queries / tasks_n:.1f}); "
              f"bare {(bare_open.queries + bare_drive.queries) / bare_n:.1f} "
              f"(start {bare_open.queries / bare_n:.1f} + view {bare_drive.queries / bare_n:.1f})")
        without_drafts = (open1.queries + steps.queries) / tasks_n
        print(f"    queries per process without the drafts (autosaves): {without_drafts:.0f}; "
              f"per call: {fmt_calls(phases)}")
        print(f"\n  inbox with {open_items} open items (round 2025-Q3 in review, 2025-Q4 unfilled); target p95 ≤ 50 ms")
        width = max(len(name) for name, _, _ in inbox_rows)
        for name, items, stats in inbox_rows:
            print(f"    {name:<{width}}  {items:6d} items  {fmt(stats)}")
        profiler.report()


def fmt_calls(phases: list[Phase]) -> str:
    """Queries per call of each phase, for reading where a process's queries go."""
    return ", ".join(f"{p.name.split(':')[0].split(' (')[0]} {p.queries / max(p.calls, 1):.1f}" for p in phases)


def _units_load() -> None:
    from units.services import units_load

    units_load()


def sample(client: Any, make_url: Callable[[], str], requests: int) -> dict[str, float]:
    """p50/p95/max of GET make_url() after 10 warm-up requests; every answer must be 200."""
    for _ in range(10):
        client.get(make_url())
    samples = []
    for _ in range(requests):
        url = make_url()
        elapsed, response = timed(lambda url=url: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        samples.append(elapsed)
    return percentiles(samples)


def sample_call(call: Callable[[], object], requests: int) -> dict[str, float]:
    for _ in range(10):
        call()
    return percentiles([timed(call)[0] for _ in range(requests)])


if __name__ == "__main__":
    main()
