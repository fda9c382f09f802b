"""The reminder sweep: every minute (beat), claim the watches whose time has come, plan each with the planner, write
the messages and their pending deliveries, and move each watch on to its next occasion.

Contract (``reminders_sweep``):

- **Claim.** A batch is one transaction: its due watches are read and held to the end of it — on PostgreSQL by
  ``SELECT … FOR UPDATE SKIP LOCKED`` (two sweeps at once take different rows), on SQLite by the write lock every
  transaction here takes at its start (``BEGIN IMMEDIATE``: one writer at a time) — then planned and written. A
  sweep that dies mid-batch writes nothing of it, and its watches are due again at once: no lease to wait out, and
  no second UPDATE of every watch to take one. (A change to a watch meanwhile waits the batch's ~0.1 s.)
- **Plan.** Subjects and recipients are read in bulk (a constant number of queries per batch, whatever its size);
  the planner decides per watch, with ``since`` = what was already handled. A subject no longer open closes its
  watch; nothing is sent for it.
- **Write.** In the batch's transaction: the messages (``Notification``, unique ``key`` = subject, recipient,
  kind and slot) are inserted with ``ON CONFLICT DO NOTHING`` — the bulk form of get_or_create, safe against a
  second sweep that wrote the same key — then one pending ``Delivery`` per message and channel (in-app, and the
  recipient's channels that carry that kind at once: ``notifications.preferences``; unique per message and channel,
  likewise), then each watch's next time, *only if nobody touched it meanwhile* (the write-back is conditional on
  ``touched_at``: held rows cannot change, but the condition costs nothing and keeps the rule where it is read).
- **Poison.** A watch whose planning fails is logged, keeps the error and is put off (``POISON_BACKOFF``, doubling);
  the rest of the batch goes on. If the batch's write fails in the database, each watch is written alone, so one bad
  row cannot hold back the others.
- **Catching up.** After downtime the planner sends only each role's current occasion (never a backlog), and
  nothing older than the policy's ``max_lateness_days``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import translation

from notifications import planner, subjects
from notifications.messages import compose
from notifications.models import Notification, Watch
from notifications.services import policy_current
from notifications.writing import messages_write_once
from tasks.bulk import array_literal

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
POISON_BACKOFF = timedelta(minutes=30)  # doubled per consecutive failure, at most a day
MAX_POISON_BACKOFF = timedelta(days=1)


@dataclass
class SweepResult:
    """What one sweep did: watches planned, messages written, watches closed, watches that failed, batches."""

    planned: int = 0
    notified: int = 0
    closed: int = 0
    failed: int = 0
    batches: int = 0


@dataclass(frozen=True)
class _Claimed:
    pk: int
    milestone_id: int | None
    report_id: int | None
    planned_until: datetime | None
    touched_at: datetime


@dataclass
class _Outcome:
    """One watch's result: its messages (rows of ``Notification``: attname → database-ready value, for
    ``notifications.writing``), and what to write back (None next_at and not open: closed)."""

    watch: _Claimed
    is_open: bool
    next_at: datetime | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)


def reminders_sweep(*, now: datetime, batch_size: int | None = None, max_batches: int = 100,
                    policy: planner.Policy | None = None) -> SweepResult:
    """Plan every watch due at ``now``, in batches of ``batch_size`` (``BATCH_SIZE``; at most ``max_batches``; the
    next sweep does the rest). Idempotent; safe to run twice at once (see the module's contract). Returns what it
    did."""
    batch_size = batch_size or BATCH_SIZE
    policy = policy or policy_current()
    result = SweepResult()
    with translation.override(settings.LANGUAGE_CODE):
        for _batch in range(max_batches):
            with transaction.atomic():  # the batch: claimed, planned and written, or (failing) none of it
                _commit_without_waiting_for_the_disk()
                claimed = _claim(now=now, size=batch_size)
                if not claimed:
                    break
                result.batches += 1
                _sweep_batch(claimed, now=now, policy=policy, result=result)
    return result


def helpers_wanted(*, now: datetime, most: int, batch_size: int | None = None) -> int:
    """How many more sweeps to start beside this one at ``now``: one per batch due beyond the first, at most
    ``most``. PostgreSQL only: there SKIP LOCKED hands each sweep its own batches, so two at once take half the time
    each (``bench/bench_reminders.py``); SQLite writes one transaction at a time, so a second sweep would only wait.
    One query, counting the due watches no further than it needs."""
    if most <= 0 or not connection.features.has_select_for_update_skip_locked:
        return 0
    batch_size = batch_size or BATCH_SIZE
    due = Watch.objects.filter(is_open=True, next_reminder_at__lte=now).values("pk")[:(most + 1) * batch_size]
    return min(most, max(0, -(-due.count() // batch_size) - 1))


def _commit_without_waiting_for_the_disk() -> None:
    """PostgreSQL: this transaction's COMMIT returns before its WAL is on disk (``synchronous_commit = off``, for it
    alone). Safe for a batch, and for exactly once: a crash can lose only a whole batch, messages and watches
    together — they are due again and planned to the same keys — and nothing of it goes out first, because the
    outbox commits its claim synchronously before it sends, which puts all earlier WAL (this batch's) on disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _claim(*, now: datetime, size: int) -> list[_Claimed]:
    """Up to ``size`` due watches, the longest due first, held until the batch's transaction ends (see the module's
    contract): one SELECT, in the order of the partial index ``watch_due_idx``, so its scan stops after ``size``
    rows however many are due."""
    due = Watch.objects.filter(is_open=True, next_reminder_at__lte=now).order_by("next_reminder_at")
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    return [_Claimed(*row) for row in
            due.values_list("pk", "milestone_id", "report_id", "planned_until", "touched_at")[:size]]


def _sweep_batch(claimed: list[_Claimed], *, now: datetime, policy: planner.Policy, result: SweepResult) -> None:
    milestones = subjects.milestone_subjects(row.milestone_id for row in claimed if row.milestone_id)
    reports = subjects.reports(row.report_id for row in claimed if row.report_id)
    planned: list[tuple[_Claimed, subjects.Subject | None, planner.Agenda | None]] = []
    poisoned: list[tuple[_Claimed, str]] = []
    for row in claimed:
        try:
            subject = _subject(row, milestones, reports)
            agenda = None if subject is None else planner.plan(subject.item, policy, as_of=now,
                                                               since=row.planned_until)
        except Exception as exc:  # one poison row must not stop the sweep
            logger.exception("reminder watch %s could not be planned", row.pk)
            poisoned.append((row, f"{type(exc).__name__}: {exc}"))
            continue
        planned.append((row, subject, agenda))
    people = subjects.recipients(unit for _row, _subject, agenda in planned if agenda
                                 for send in agenda.sends for unit in send.unit_ids)
    outcomes: list[_Outcome] = []
    language = translation.get_language()
    for row, subject, agenda in planned:
        try:
            outcomes.append(_outcome(row, subject, agenda, people=people, language=language))
        except Exception as exc:
            logger.exception("reminder watch %s: its messages could not be composed", row.pk)
            poisoned.append((row, f"{type(exc).__name__}: {exc}"))
    try:
        with transaction.atomic():
            written = _write(outcomes, now=now)
    except DatabaseError:
        logger.exception("reminder sweep: a batch of %s could not be written; writing its watches one by one",
                         len(outcomes))
        written, kept = 0, []
        for outcome in outcomes:
            try:
                with transaction.atomic():
                    written += _write([outcome], now=now)
            except DatabaseError as exc:
                logger.exception("reminder watch %s could not be written", outcome.watch.pk)
                poisoned.append((outcome.watch, f"{type(exc).__name__}: {exc}"))
            else:
                kept.append(outcome)
        outcomes = kept
    _put_off(poisoned, now=now)
    result.planned += len(outcomes)
    result.closed += sum(1 for outcome in outcomes if not outcome.is_open)
    result.failed += len(poisoned)
    result.notified += written


def _subject(row: _Claimed, milestones: dict, reports: dict) -> subjects.Subject | None:
    if row.milestone_id is not None:
        return milestones.get(row.milestone_id)  # None: closed or gone
    report = reports.get(row.report_id)
    return subjects.report_subject(report) if report is not None else None


def _outcome(row: _Claimed, subject: subjects.Subject | None, agenda: planner.Agenda | None, *,
             people: subjects.Recipients, language: str) -> _Outcome:
    if subject is None or agenda is None:
        return _Outcome(watch=row, is_open=False)
    outcome = _Outcome(watch=row, is_open=True, next_at=agenda.next_at)
    seen: set[str] = set()
    for send in agenda.sends:
        title, body = "", ""
        for user_id in people.users(send.role, send.unit_ids):
            key = Notification.make_key(subject=subject.key, recipient_id=user_id, kind=send.kind, slot=send.slot)
            if key in seen:  # one person in two roles of one occasion (a unit's reporter and head): one message
                continue
            seen.add(key)
            if not title:
                title, body = compose(subject, send, send.role, language=language)
            outcome.messages.append({
                "recipient_id": user_id, "role": str(send.role),
                "unit_id": subject.unit_id if send.unit_ids else None, "kind": str(send.kind), "level": send.level,
                "slot": send.slot, "key": key, "title": title, "body": body, "url": subject.url,
                "milestone_id": subject.milestone_id, "report_id": subject.report_id,
                "illustrative": subject.illustrative,
            })
    return outcome


def _write(outcomes: list[_Outcome], *, now: datetime) -> int:
    """The batch's messages, their deliveries and the watches' next times (see the module's contract). Returns how
    many messages are new. Three statements for a batch with messages, one without (plus the recipients' delivery
    settings: ``preferences.rules_for``)."""
    written = messages_write_once((message for outcome in outcomes for message in outcome.messages), now=now)
    if outcomes:
        _write_back(outcomes, now=now)
    return len(written)


def _write_back(outcomes: list[_Outcome], *, now: datetime) -> None:
    """Each watch's next time and whether it stays open, planned until ``now``, its errors cleared — only where
    ``touched_at`` is still what the claim read (a touch meanwhile wins). One UPDATE, whatever the batch's size.

    Written as SQL, an ``UPDATE … FROM`` the batch's values joined on the id: the same statement built with the ORM
    (a ``Case(When(pk=…))`` per column and a ``Q`` per row) took about a millisecond a watch to resolve in Python,
    and as a 500-way ``CASE``/``OR`` it cost PostgreSQL ~70 ms a batch. PostgreSQL gets one array a column
    (``unnest``: the statement's text, and so the driver's binding, is the same for any batch); SQLite (3.33+) a
    table of ``VALUES``."""
    outcomes = list({outcome.watch.pk: outcome for outcome in outcomes}.values())
    meta, quote = Watch._meta, connection.ops.quote_name
    ready: dict[tuple[str, object], object] = {}

    def value(name: str, raw: object) -> object:  # each distinct value prepared once (many watches share one)
        if (name, raw) not in ready:
            ready[name, raw] = meta.get_field(name).get_db_prep_save(raw, connection)
        return ready[name, raw]

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    table = quote(meta.db_table)
    columns = [[outcome.watch.pk for outcome in outcomes],
               [value("next_reminder_at", outcome.next_at) for outcome in outcomes],
               [value("is_open", outcome.is_open) for outcome in outcomes],
               [value("touched_at", outcome.watch.touched_at) for outcome in outcomes]]
    if connection.vendor == "postgresql":
        source = ("unnest(%s::bigint[], %s::timestamptz[], %s::boolean[], %s::timestamptz[]) "
                  "AS v (id, next_at, is_open, touched_at)")
        params: list[object] = [value("planned_until", now), *map(array_literal, columns)]
    else:
        rows = ", ".join(["(%s, %s, %s, %s)"] * len(outcomes))
        source = f"(WITH v (id, next_at, is_open, touched_at) AS (VALUES {rows}) SELECT * FROM v) AS v"
        params = [value("planned_until", now), *(item for row in zip(*columns, strict=True) for item in row)]
    sql = (f"UPDATE {table} SET {column('next_reminder_at')} = v.next_at, {column('is_open')} = v.is_open, "
           f"{column('planned_until')} = %s, {column('failures')} = 0, {column('last_error')} = '' "
           f"FROM {source} WHERE {table}.{column('id')} = v.id AND {table}.{column('touched_at')} = v.touched_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _put_off(poisoned: list[tuple[_Claimed, str]], *, now: datetime) -> None:
    """Keep each failing watch's error and put it off, longer at each failure in a row (one statement per row: poison
    is rare)."""
    for row, error in poisoned:
        failures = Watch.objects.filter(pk=row.pk).values_list("failures", flat=True).first() or 0
        delay = min(POISON_BACKOFF * (2 ** min(failures, 10)), MAX_POISON_BACKOFF)
        Watch.objects.filter(pk=row.pk).update(next_reminder_at=now + delay, failures=F("failures") + 1,
                                               last_error=error[:2000])
