"""Reminders benchmark: the sweep over 100,000 open milestones with 5 % due, and the in-app deliveries it writes.

    python -m bench.bench_reminders [--milestones 100000] [--due 0.05] [--repeat 5] [--profile]

Runs on the database DATABASE_URL names (SQLite by default), in a throwaway test database:

1. loads the units and imports a generated plan (bench.generate) with 20 milestones per task (5,000 tasks for
   100,000 milestones), every milestone pending, so open. The due dates are the bench's own, relative to the tick's
   day D (Monday 2 March 2026): ``--due`` of the milestones (drawn with a fixed seed) are due on D + 7, so their
   T-7 reminder falls at D 08:30; every other one is due D + 8 … D + 365, so its next occasion is later. Creates a
   reporter and a head for every unit and one supervisor (bench.bench_workflow's ``make_people``);
2. the import's signal already watches the plan; the bench deletes those watches and times ``watches_reconcile`` at
   t0 = D − 1 09:00 (the first: a watch per open milestone, as when the reminders meet a filled register), then again
   with nothing changed, and ``watches_touch_milestones`` over the whole plan (what an import's signal does);
3. the catch-up at t0: every watch is due (touched), none has an occasion yet; ``reminders_sweep`` as the beat calls
   it (batches of 500, at most 100 a call) until nothing is left: per call and per batch. It leaves each watch due
   at its next occasion: ``--due`` of them at D 08:30, the rest later;
4. in turns, ``--repeat`` times: a tick at D 08:31 with 500 due (the others of the due set put off), a tick with all
   of them due (5,000), ticks with nothing due, ``deliveries_send`` over the in-app deliveries the tick wrote, and
   the floors in the same state. Between turns the due set is put back as the catch-up left it (its watches due at
   D 08:30 and planned until t0, its messages and deliveries deleted): bulk UPDATEs and DELETEs, not timed. Each due
   watch makes one message (the T-7 reminder to its unit's reporter) and one in-app delivery;
5. the floors: the due rows counted (``Watch.objects.filter(next_reminder_at__lte=now, is_open=True).count()``),
   moved on by one bulk UPDATE (the write-back without the planning), the tick's messages and deliveries written
   again by ``bulk_create`` (the writes without the planning), and the deliveries marked sent by one UPDATE.

Per batch means the claim and the batch's planning and writes, timed inside the real call (``sweep._claim`` and
``sweep._sweep_batch`` wrapped by the bench, likewise the outbox's). Prints one table: p50 / p95 / max, queries per
call and per batch, rows per second; the target (issue: ≤ 1 s per tick with 5 % of 100,000 due, queries constant)
marked met or missed against the whole call; the load average before and after.
``--profile`` also prints the cProfile tops of the 5,000-due ticks and of the deliveries; ``--statements`` the time
inside each kind of statement of those ticks, COMMIT included (the rest is Python); ``--batch`` sets the sweep's
batch size.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import count_queries, setup_django, throwaway_database, timed

PLAN_CODE = "bench-province"
PER_TASK = 20
TICK_DAY = date(2026, 3, 2)  # D: a Monday; the due set's T-7 reminder falls at 08:30 that day
DUE_LEAD = 7  # the due set is due on D + 7
TARGET_S = 1.0
SMALL = 500  # the small tick: one batch


@dataclass
class Row:
    """One line of the table: samples (seconds) of one kind of call, its queries, rows handled per call."""

    name: str
    samples: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    rows: int = 0
    note: str = ""

    def add(self, seconds: float, queries: int) -> None:
        self.samples.append(seconds)
        self.queries.append(queries)

    def stats(self) -> tuple[float, float, float]:
        """p50, p95, max in ms (one sample: itself thrice)."""
        ordered = sorted(self.samples)
        if len(ordered) == 1:
            return ordered[0] * 1000, ordered[0] * 1000, ordered[0] * 1000
        q = statistics.quantiles(ordered, n=100, method="inclusive")
        return q[49] * 1000, q[94] * 1000, ordered[-1] * 1000


class Batches:
    """Times and queries of each claim and each batch inside real calls (the module's ``_claim`` and the batch function
    wrapped while a block runs)."""

    def __init__(self) -> None:
        self.claims: list[tuple[float, int]] = []
        self.batches: list[tuple[float, int]] = []

    @contextmanager
    def watching(self, module: ModuleType, batch_fn: str) -> Iterator[Batches]:
        claim, batch = module._claim, getattr(module, batch_fn)

        def wrap(fn: Callable[..., Any], into: list[tuple[float, int]]) -> Callable[..., Any]:
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                with count_queries() as counted:
                    start = time.perf_counter()
                    result = fn(*args, **kwargs)
                    into.append((time.perf_counter() - start, counted.n))
                return result
            return wrapped

        module._claim = wrap(claim, self.claims)
        setattr(module, batch_fn, wrap(batch, self.batches))
        try:
            yield self
        finally:
            module._claim = claim
            setattr(module, batch_fn, batch)

    def per_batch(self) -> list[tuple[float, int]]:
        """(seconds, queries) of each batch: its claim and its work (the last, empty claim left out)."""
        return [(c[0] + b[0], c[1] + b[1]) for c, b in zip(self.claims, self.batches, strict=False)]

    def empty_claims(self) -> list[tuple[float, int]]:
        return self.claims[len(self.batches):]


def shanghai(day: date, hour: int, minute: int) -> datetime:
    from notifications.planner import SHANGHAI

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def plan_source(path: Path, *, milestones: int, due: float) -> tuple[Path, int]:
    """The generated plan with ``PER_TASK`` milestones a task and the bench's due dates (see the module's docstring).
    Returns the file and how many milestones are in the due set."""
    import yaml

    from bench.generate import build

    document = build(tasks=max(100, round(milestones / PER_TASK)), milestones_per_task=PER_TASK)
    every = [m for part in document["tasks"] for node in (part, *part["children"]) for m in node["milestones"]]
    rng = random.Random(5)
    due_set = set(rng.sample(range(len(every)), round(len(every) * due)))
    for i, milestone in enumerate(every):
        days = DUE_LEAD if i in due_set else DUE_LEAD + 1 + i % 358
        milestone["due"] = (TICK_DAY + timedelta(days=days)).isoformat()
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, len(due_set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.05, help="share of the milestones due at the tick")
    parser.add_argument("--repeat", type=int, default=5, help="turns of the ticks, the deliveries and the floors")
    parser.add_argument("--profile", action="store_true", help="print cProfile tops of the ticks and deliveries")
    parser.add_argument("--sweepers", type=int, default=2,
                        help="PostgreSQL: also time the all-due tick with this many sweeps at once, each in its own "
                             "process (as the sweep job and its helpers run on the workers); 1: not")
    parser.add_argument("--batch", type=int, default=0, help="the sweep's batch size (default: its own)")
    parser.add_argument("--statements", action="store_true",
                        help="print the time spent inside each kind of statement of the all-due ticks")
    args = parser.parse_args()

    setup_django()
    from django.db import connection, transaction

    from bench.bench_workflow import Profiler, make_people
    from notifications import outbox, services, sweep
    from notifications.models import Delivery, Notification, Watch
    from tasks.importing.apply import plan_import
    from tasks.models import Milestone, Plan
    from units.services import units_load

    profiler = Profiler(args.profile)
    if args.batch:
        sweep.BATCH_SIZE = args.batch
    statements = Statements(args.statements)
    load_before = os.getloadavg()
    wall = time.perf_counter()
    t0 = shanghai(TICK_DAY - timedelta(days=1), 9, 0)
    due_at = shanghai(TICK_DAY, 8, 30)
    tick_at = shanghai(TICK_DAY, 8, 31)
    with throwaway_database() as vendor, tempfile.TemporaryDirectory() as tmp:
        units_load()
        source, due_n = plan_source(Path(tmp) / "province.yaml", milestones=args.milestones, due=args.due)
        import_s, _ = timed(lambda: plan_import(source=source))
        plan = Plan.objects.get(code=PLAN_CODE)
        make_people()
        open_n = Milestone.objects.filter(task__plan=plan, status=Milestone.Status.PENDING).count()
        rows: list[Row] = []
        print(f"\nReminders benchmark on {vendor}: {open_n} open milestones, {due_n} due at the tick "
              f"({due_n / open_n:.1%}); import {import_s:.1f} s", flush=True)

        # --- watches: the first reconcile, again with nothing changed, the import's touch ---------------------
        Watch.objects.all().delete()
        with count_queries() as q:
            seconds, touched = timed(lambda: services.watches_reconcile(now=t0))
        assert touched == open_n, (touched, open_n)
        rows.append(Row("watches_reconcile, first (no watches yet)", [seconds], [q.n], open_n,
                        f"{open_n / seconds:,.0f} watches/s"))
        again = Row("watches_reconcile, nothing changed", rows=0)
        for _ in range(max(3, args.repeat)):
            with count_queries() as q:
                seconds, touched = timed(lambda: services.watches_reconcile(now=t0))
            assert touched == 0, touched
            again.add(seconds, q.n)
        rows.append(again)
        with count_queries() as q:
            seconds, touched = timed(lambda: services.watches_touch_milestones(plan_id=plan.pk, task_ids=None, now=t0))
        rows.append(Row("watches_touch_milestones, whole plan (import)", [seconds], [q.n], touched,
                        f"{touched / seconds:,.0f} watches/s"))
        print(f"  watches: reconcile {rows[0].samples[0]:.1f} s, touch {seconds:.1f} s", flush=True)

        # --- the catch-up at t0: every watch due, nothing to send yet ------------------------------------------
        catch_up = Row("catch-up sweep: one call (≤ 100 batches)")
        batches = Batches()
        with batches.watching(sweep, "_sweep_batch"):
            while True:
                with count_queries() as q:
                    seconds, result = timed(lambda: sweep.reminders_sweep(now=t0))
                if not result.batches:
                    break
                assert result.notified == 0, result
                catch_up.add(seconds, q.n)
        catch_up.rows = round(open_n / len(catch_up.samples))
        catch_up.note = (f"{len(catch_up.samples)} calls, {sum(catch_up.samples):.1f} s in all: "
                         f"{open_n / sum(catch_up.samples):,.0f} watches/s")
        rows.append(catch_up)
        rows.append(batch_row("catch-up sweep: one batch of 500, nothing sent", batches.per_batch(), 500))
        due_ids = list(Watch.objects.filter(next_reminder_at=due_at).order_by("pk").values_list("pk", flat=True))
        assert len(due_ids) == due_n, (len(due_ids), due_n)
        assert not Watch.objects.filter(next_reminder_at__lt=due_at).exists()
        print(f"  catch-up: {sum(catch_up.samples):.1f} s; {len(due_ids)} watches due at {due_at:%Y-%m-%d %H:%M}",
              flush=True)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after the bulk load (the test server may not)

        def arm(n: int) -> None:
            """Put the due set back as the catch-up left it, ``n`` of it due at the tick, the rest not yet."""
            Notification.objects.all().delete()
            Watch.objects.filter(pk__in=due_ids[:n]).update(next_reminder_at=due_at, planned_until=t0, is_open=True)
            if n < len(due_ids):
                Watch.objects.filter(pk__in=due_ids[n:]).update(next_reminder_at=due_at + timedelta(days=1))

        def due_now() -> Any:
            return Watch.objects.filter(next_reminder_at__lte=tick_at, is_open=True)

        small_n = min(SMALL, len(due_ids))
        tick_small = Row(f"tick, {small_n} due (one call)", rows=small_n)
        tick_full = Row(f"tick, all {len(due_ids)} due (one call)", rows=len(due_ids))
        small_batches: list[tuple[float, int]] = []
        full_batches, full_empty = Batches(), Batches()
        idle = Row("tick, nothing due (one call)")
        floor_count = Row("floor: count the due rows", rows=len(due_ids))
        floor_claim = Row("floor: one UPDATE of the due rows", rows=len(due_ids))
        floor_write = Row("floor: bulk_create the messages + deliveries", rows=len(due_ids))
        send = Row(f"deliveries_send, {len(due_ids)} in-app (one call)", rows=len(due_ids))
        send_batches = Batches()
        send_idle = Row("deliveries_send, nothing pending")
        floor_sent = Row("floor: one UPDATE marking them sent", rows=len(due_ids))
        tick_shared = Row(f"tick, all {len(due_ids)} due, {args.sweepers} sweepers at once", rows=len(due_ids))
        for turn in range(args.repeat):
            arm(small_n)
            watch = Batches()
            with watch.watching(sweep, "_sweep_batch"), count_queries() as q:
                seconds, result = timed(lambda: sweep.reminders_sweep(now=tick_at))
            assert result.planned == small_n and result.notified == small_n, result
            tick_small.add(seconds, q.n)
            small_batches += watch.per_batch()

            arm(len(due_ids))
            with count_queries() as q:
                seconds, counted = timed(lambda: due_now().count())
            assert counted == len(due_ids), counted
            floor_count.add(seconds, q.n)
            with count_queries() as q:
                seconds, updated = timed(lambda: due_now().update(next_reminder_at=tick_at + timedelta(days=1)))
            assert updated == len(due_ids), updated
            floor_claim.add(seconds, q.n)
            arm(len(due_ids))
            with (full_batches.watching(sweep, "_sweep_batch"), profiler("tick, all due"), statements(),
                  count_queries() as q):
                seconds, result = timed(lambda: sweep.reminders_sweep(now=tick_at))
            assert result.planned == len(due_ids) and result.notified == len(due_ids), result
            tick_full.add(seconds, q.n)
            full_empty.claims += full_batches.empty_claims()
            full_batches.claims = full_batches.claims[:len(full_batches.batches)]
            for _ in range(10):
                with count_queries() as q:
                    seconds, result = timed(lambda: sweep.reminders_sweep(now=tick_at + timedelta(seconds=30)))
                assert result.batches == 0, result
                idle.add(seconds, q.n)

            pending = Delivery.objects.filter(status=Delivery.Status.PENDING, channel="in_app")
            assert pending.count() == len(due_ids), pending.count()
            with send_batches.watching(outbox, "_send_batch"), profiler("deliveries"), count_queries() as q:
                seconds, sent = timed(lambda: outbox.deliveries_send(now=tick_at))
            assert sent.sent == len(due_ids) and not sent.cancelled, sent
            send.add(seconds, q.n)
            send_batches.claims = send_batches.claims[:len(send_batches.batches)]
            for _ in range(10):
                with count_queries() as q:
                    seconds, sent = timed(lambda: outbox.deliveries_send(now=tick_at))
                assert sent.batches == 0, sent
                send_idle.add(seconds, q.n)
            Delivery.objects.update(status=Delivery.Status.PENDING, sent_at=None, next_attempt_at=tick_at, attempts=0)
            with count_queries() as q:
                seconds, updated = timed(lambda: Delivery.objects.filter(
                    status=Delivery.Status.PENDING, next_attempt_at__lte=tick_at).update(
                    status=Delivery.Status.SENT, sent_at=tick_at, next_attempt_at=None, last_error=""))
            assert updated == len(due_ids), updated
            floor_sent.add(seconds, q.n)

            messages = list(Notification.objects.all())
            Notification.objects.all().delete()
            for message in messages:
                message.pk = None

            def write_again(messages: list[Notification] = messages) -> None:
                with transaction.atomic():
                    made = Notification.objects.bulk_create(messages)
                    Delivery.objects.bulk_create([Delivery(notification_id=m.pk, channel="in_app", created_at=tick_at,
                                                           next_attempt_at=tick_at) for m in made])

            with count_queries() as q:
                seconds, _ = timed(write_again)
            floor_write.add(seconds, q.n)
            if args.sweepers > 1 and vendor == "postgresql":
                arm(len(due_ids))
                seconds, planned = sweepers_at_once(args.sweepers, now=tick_at)
                assert sum(planned) == len(due_ids), planned
                tick_shared.add(seconds, 0)
                tick_shared.note = f"each sweeper planned {'/'.join(map(str, planned))}"
            print(f"  turn {turn + 1}/{args.repeat}: tick {tick_full.samples[-1]:.2f} s, "
                  f"deliveries {send.samples[-1]:.2f} s", flush=True)

        small_row = batch_row(f"  its batch ({small_n} due)", small_batches, small_n)
        full_row = batch_row("  one batch of 500 (all due)", full_batches.per_batch(), 500)
        send_row = batch_row("  one batch of 500", send_batches.per_batch(), 500)
        empty_row = Row("  its last, empty claim", [s for s, _ in full_empty.claims], [n for _, n in full_empty.claims])
        floor_sum = sum(statistics.median(r.samples) for r in (floor_count, floor_claim, floor_write))
        p50_full, p95_full, _max = tick_full.stats()
        tick_full.note = (f"{len(due_ids) / (p50_full / 1000):,.0f} watches/s; target ≤ {TARGET_S * 1000:.0f} ms: "
                          f"{'met' if p95_full <= TARGET_S * 1000 else 'MISSED'} (p95); "
                          f"{p50_full / (floor_sum * 1000):.1f} × the floors' sum")
        tick_small.note = f"{small_n / (tick_small.stats()[0] / 1000):,.0f} watches/s"
        send.note = f"{len(due_ids) / (send.stats()[0] / 1000):,.0f} deliveries/s (p50)"
        floor_sent.note = f"{len(due_ids) / (floor_sent.stats()[0] / 1000):,.0f} rows/s"
        rows += [tick_small, small_row, tick_full, full_row, empty_row, idle, floor_count, floor_claim, floor_write,
                 send, send_row, send_idle, floor_sent]
        if tick_shared.samples:
            verdict = "met" if tick_shared.stats()[1] <= TARGET_S * 1000 else "MISSED"
            tick_shared.note += f"; target ≤ {TARGET_S * 1000:.0f} ms: {verdict} (p95)"
            rows.insert(rows.index(empty_row) + 1, tick_shared)

        print(f"\nReminders benchmark on {vendor}: {open_n} open milestones ({open_n // PER_TASK} tasks × {PER_TASK}), "
              f"{len(due_ids)} due at the tick ({len(due_ids) / open_n:.1%}), one reporter and one head per unit; "
              f"each due watch: one message and one in-app delivery; {args.repeat} turns; "
              f"wall {time.perf_counter() - wall:.0f} s")
        width = max(len(row.name) for row in rows)
        print(f"\n  {'':<{width}} {'rows':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'n':>4} {'queries':>9}")
        for row in rows:
            p50, p95, most = row.stats()
            low, high = min(row.queries), max(row.queries)
            queries = f"{low}" if low == high else f"{low}–{high}"
            print(f"  {row.name:<{width}} {row.rows:7d} {p50:9.1f} {p95:9.1f} {most:9.1f} {len(row.samples):4d} "
                  f"{queries:>9}  {row.note}")
        print(f"\n  queries per batch of 500: catch-up (nothing sent) {_spread(batches.per_batch())}; "
              f"{small_n} due {_spread(small_batches)}; all due {_spread(full_batches.per_batch())}; "
              f"deliveries {_spread(send_batches.per_batch())}")
        print(f"  the tick with all due = {len(full_batches.batches) // args.repeat} batches "
              f"of ≤ 500 + one empty claim + the policy read; the issue's target is per tick (one beat's call)")
        print(f"  load average (1, 5, 15 min): before {_load(load_before)}, after {_load(os.getloadavg())}")
        profiler.report()
        statements.report(ticks=args.repeat, total_ms=sum(tick_full.samples) * 1000)


def sweepers_at_once(count: int, *, now: datetime) -> tuple[float, list[int]]:
    """``count`` calls of ``reminders_sweep`` at ``now`` at the same moment, each in its own process (forked, with its
    own connection, as Celery's prefork workers have), released together. Returns the wall time from the release to
    the last one's end, and what each planned."""
    import multiprocessing

    from django.db import connection

    from notifications import sweep

    connection.close()  # each process opens its own
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(count), context.Queue()

    def run() -> None:
        barrier.wait()
        result = sweep.reminders_sweep(now=now)
        results.put((time.monotonic(), result.planned))
        connection.close()

    children = [context.Process(target=run) for _ in range(count - 1)]
    for child in children:
        child.start()
    barrier.wait()
    start = time.monotonic()
    result = sweep.reminders_sweep(now=now)
    ends, planned = [time.monotonic()], [result.planned]
    for _child in children:
        end, done = results.get(timeout=120)
        ends.append(end)
        planned.append(done)
    for child in children:
        child.join(timeout=30)
    return max(ends) - start, planned


class Statements:
    """With --statements: the wall time of each statement inside the database call (the driver's binding and the
    server's work; for a SELECT, its rows fetched), summed by kind (the statement's first words), over the blocks
    watched. The rest of a tick is Python."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.spent: dict[str, list[float]] = {}

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        from django.db import connection

        def timing(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                kind = " ".join(sql.split()[:6])[:70]
                if kind.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
                    kind = kind.rsplit(" ", 1)[0]
                self.spent.setdefault(kind, []).append(time.perf_counter() - start)

        commit = connection.commit

        def timed_commit() -> None:  # Django commits outside the execute wrappers: PostgreSQL's deferred checks
            start = time.perf_counter()
            try:
                commit()
            finally:
                self.spent.setdefault("COMMIT", []).append(time.perf_counter() - start)

        connection.commit = timed_commit  # type: ignore[method-assign]
        try:
            with connection.execute_wrapper(timing):
                yield
        finally:
            del connection.commit

    def report(self, *, ticks: int, total_ms: float) -> None:
        if not self.enabled:
            return
        inside = sum(sum(times) for times in self.spent.values()) * 1000
        print(f"\n--- statements of the all-due ticks, per tick (ms; {total_ms / ticks:.0f} ms a tick, "
              f"{inside / ticks:.0f} of it in statements) ---")
        for kind, times in sorted(self.spent.items(), key=lambda item: -sum(item[1])):
            print(f"  {sum(times) * 1000 / ticks:8.1f}  {len(times) // ticks:4d}×  {kind}")


def batch_row(name: str, batches: list[tuple[float, int]], rows: int) -> Row:
    row = Row(name, [s for s, _ in batches], [n for _, n in batches], rows)
    if row.samples:
        row.note = f"{rows / (row.stats()[0] / 1000):,.0f} rows/s"
    return row


def _spread(batches: list[tuple[float, int]]) -> str:
    counts = sorted({n for _, n in batches})
    return "/".join(str(n) for n in counts) if counts else "-"


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
