"""Stored daily task lights: what ``GET /api/tasks/?light=red`` filters on, since computing 5,000 lights live takes
seconds. The rule stays in one place: every stored light is ``evaluation.rules.task_light`` of
``evaluation.snapshot.task_facts``; nothing here decides a colour.

- :func:`plan_lights_store` computes and stores the lights of every task of a plan for a day, replaced whole in one
  transaction (idempotent: running it twice stores the same rows). It locks the plan's :class:`LightDay` row, the
  marker that says "this plan's day is stored", so two computations of the same day run one after the other, and
  it reads the facts only once it holds that lock (a refresh queued meanwhile waits, then reads newer facts).
- Facts change during the day (``tasks.signals.task_facts_changed``): :func:`on_task_facts_changed` writes a
  :class:`LightChange` row in the changing transaction (an outbox) and queues :func:`task_lights_refresh` on commit,
  which recomputes the changed tasks of today's stored day and deletes the rows it applied. Readers
  (:func:`lights_ensure`) apply whatever is still pending before trusting today's lights, so a lost job (the broker
  down, the worker killed) leaves the lights late, never wrong. A day not stored is computed whole when needed.
- :func:`lights_store_due` (beat, daily after midnight Asia/Shanghai): today's lights of every non-draft plan, and
  any day missed since the plan's last stored one (the worker was down), at most ``catch_up_days`` back.
- :func:`lights_ensure` (the API filter): stores what is missing for the plans and day asked about, so a filter
  never answers "nothing is red" because the job has not run.

These are system writes of derived data: no actor, nothing to audit (the facts' changes are audited where made).
Overrides are not stored here: a stored light is the computed one, like ``TaskLightApi``'s ``colour``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, Min, OuterRef, QuerySet, Value
from django.utils import timezone

from evaluation.models import LightChange, LightDay, StoredLight
from evaluation.rules import Light, RuleSpec
from evaluation.rules.lights import roll_up_tree, task_lights
from evaluation.selectors import rules_for
from evaluation.snapshot import task_facts, task_tree, with_subtrees
from tasks.models import Plan
from tasks.queueing import publish

BATCH = 1000


def _row(*, plan_id: int, task_id: int, as_of: date, light: Light) -> StoredLight:
    return StoredLight(plan_id=plan_id, task_id=task_id, as_of=as_of, **StoredLight.of(light))


def _write(*, plan_id: int, as_of: date, task_ids: list[int] | None, spec: RuleSpec) -> int:
    """Compute and write the lights (all the plan's tasks, or ``task_ids``); the caller holds the day's lock."""
    tree = task_tree(plan_id=plan_id)
    if task_ids is not None:  # a changed task's ancestors roll up from their whole subtrees: recompute those
        tops = set()
        for pk in task_ids:
            while pk in tree and tree[pk][0] is not None:
                pk = tree[pk][0]
            tops.add(pk)
        task_ids = sorted(with_subtrees(tree, tops))
    facts = task_facts(plan_id=plan_id, as_of=as_of, task_ids=task_ids, missed_window=spec.lights.missed_window)
    lights = roll_up_tree(task_lights(facts, as_of, spec), {pk: tree[pk] for pk in facts if pk in tree})
    old = StoredLight.objects.filter(plan_id=plan_id, as_of=as_of)
    if task_ids is not None:
        old = old.filter(task_id__in=task_ids)
    old.delete()
    StoredLight.objects.bulk_create(
        (_row(plan_id=plan_id, task_id=task_id, as_of=as_of, light=light) for task_id, light in lights.items()),
        batch_size=BATCH,
    )  # fmt: skip
    return len(lights)


def plan_lights_store(*, plan_id: int, as_of: date, now: datetime | None = None) -> LightDay:
    """Compute and store the light of every task of a plan on ``as_of``, replacing what was stored for that day.
    Idempotent; one transaction; locks the day's marker row (created if need be) before reading any fact."""
    now = now or timezone.now()
    with transaction.atomic():
        # get_or_create settles a race on the unique (plan, as_of) in a savepoint; the lock then orders the writers.
        day, _created = LightDay.objects.get_or_create(plan_id=plan_id, as_of=as_of, defaults={"computed_at": now})
        day = LightDay.objects.select_for_update().get(pk=day.pk)
        # Today's whole computation covers every change committed before it reads the facts: those rows go.
        pending = (list(LightChange.objects.filter(plan_id=plan_id).values_list("pk", flat=True))
                   if as_of == timezone.localdate() else [])  # fmt: skip
        rule_set, spec = rules_for(plan_id=plan_id, as_of=as_of)
        day.tasks_total = _write(plan_id=plan_id, as_of=as_of, task_ids=None, spec=spec)
        LightChange.objects.filter(pk__in=pending).delete()
        day.rule_set, day.computed_at = rule_set, now
        day.save(update_fields=["tasks_total", "rule_set", "computed_at"])
    return day


def task_lights_refresh(*, plan_id: int, as_of: date, task_ids: Iterable[int] | None = None) -> int:
    """Apply the pending changes (:class:`LightChange`) of a plan to its stored lights of ``as_of``: recompute the
    changed tasks (the whole plan when a change names no task) and delete the rows applied; returns how many lights
    were written (0 when nothing is pending or the day is not stored: it is computed whole when first needed).
    ``task_ids`` (the job's arguments) only says what the caller expects; the pending rows decide. Idempotent; under
    the day's lock, reading the pending rows before the facts (a change committed later stays pending)."""
    with transaction.atomic():
        day = LightDay.objects.select_for_update().filter(plan_id=plan_id, as_of=as_of).first()
        if day is None:
            return 0
        pending = list(LightChange.objects.filter(plan_id=plan_id).values_list("pk", "task_id"))
        if not pending:
            return 0
        ids = None if any(task_id is None for _pk, task_id in pending) else sorted({t for _pk, t in pending})
        _rule_set, spec = rules_for(plan_id=plan_id, as_of=as_of)
        written = _write(plan_id=plan_id, as_of=as_of, task_ids=ids, spec=spec)
        LightChange.objects.filter(pk__in=[pk for pk, _task_id in pending]).delete()
        if ids is None:
            day.tasks_total = written
        else:  # a task added today gets its first row here; one deleted lost its row with it
            day.tasks_total = StoredLight.objects.filter(plan_id=plan_id, as_of=as_of).count()
        day.computed_at = timezone.now()
        day.save(update_fields=["tasks_total", "computed_at"])
    return written


def lights_store_due(*, today: date, catch_up_days: int) -> list[tuple[int, date]]:
    """For every non-draft plan: store today's lights if they are not stored, and every day missed since the plan's
    last stored day (at most ``catch_up_days`` back; a plan never stored starts today). Idempotent: a day stored
    meanwhile is skipped. Returns the (plan, day) pairs computed."""
    oldest = today - timedelta(days=catch_up_days)
    plans = Plan.objects.exclude(status=Plan.Status.DRAFT).order_by("pk").values_list("pk", flat=True)
    stored: dict[int, set[date]] = {}
    first: dict[int, date] = {}
    for plan_id, day in LightDay.objects.filter(plan_id__in=plans, as_of__gte=oldest).values_list("plan_id", "as_of"):
        stored.setdefault(plan_id, set()).add(day)
    firsts = LightDay.objects.filter(plan_id__in=plans).order_by().values("plan_id").annotate(first=Min("as_of"))
    for row in firsts:
        first[row["plan_id"]] = row["first"]
    computed = []
    for plan_id in plans:
        start = max(oldest, first.get(plan_id, today))
        for offset in range((today - start).days + 1):
            day = start + timedelta(days=offset)
            if day not in stored.get(plan_id, ()):
                plan_lights_store(plan_id=plan_id, as_of=day)
                computed.append((plan_id, day))
    # Changes from before today are covered by any computation of today (made whole, after them); a plan with none
    # (a draft) needs them no more: its day is computed whole when first asked for.
    midnight = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    LightChange.objects.filter(at__lt=midnight).delete()
    return computed


def lights_ensure(*, plan_ids: Iterable[int] | QuerySet, as_of: date) -> list[int]:
    """Make the stored lights of ``as_of`` trustworthy for these plans (the API's filter and the pages call it first):
    store the days not stored, and for today apply the changes still pending. ``plan_ids`` is ids, or a subquery of
    plan ids (the filter's: the plans of the listed tasks, which the database finds without listing the tasks).
    Returns the plans computed or refreshed; one query when there is nothing to do."""
    today = as_of == timezone.localdate()
    days = LightDay.objects.filter(plan_id=OuterRef("pk"), as_of=as_of)
    pending = Exists(LightChange.objects.filter(plan_id=OuterRef("pk"))) if today else Value(False)
    ids = plan_ids if isinstance(plan_ids, QuerySet) else list(plan_ids)
    plans = (Plan.objects.filter(pk__in=ids).annotate(stored=Exists(days), pending=pending).order_by("pk")
             .values_list("pk", "stored", "pending"))  # fmt: skip
    missing, stale = [], []
    for plan_id, is_stored, is_pending in plans:
        if not is_stored:
            missing.append(plan_id)
        elif is_pending:
            stale.append(plan_id)
    for plan_id in missing:
        plan_lights_store(plan_id=plan_id, as_of=as_of)
    for plan_id in stale:
        task_lights_refresh(plan_id=plan_id, as_of=as_of)
    return missing + stale



def stored_lights(*, tasks, as_of: date) -> dict[int, StoredLight]:
    """The stored lights of these tasks on ``as_of`` by task id, their plans' days made trustworthy first
    (:func:`lights_ensure`): what the pages that list many lights read. Two queries once the days are stored."""
    lights_ensure(plan_ids={task.plan_id for task in tasks}, as_of=as_of)
    return {light.task_id: light for light in StoredLight.objects.filter(task__in=[t.pk for t in tasks], as_of=as_of)}

def task_has_light(*, as_of: date, colour: str) -> Exists:
    """A condition on a task (``OuterRef("pk")``): its stored light on ``as_of`` is ``colour``. One probe of the
    unique (task, as_of) per task when the list is walked in its order and stops at a page; an index on
    (as_of, colour, task) when the database rather reads the day's rows of that colour whole (a count)."""
    return Exists(StoredLight.objects.filter(task_id=OuterRef("pk"), as_of=as_of, colour=colour))


# --- keeping today fresh -----------------------------------------------------------------------------------------


def on_task_facts_changed(sender, *, plan_id: int, task_ids: tuple[int, ...] | None, **kwargs) -> None:
    """Receiver of ``tasks.signals.task_facts_changed`` (connected in ``EvaluationConfig.ready``): write the change as
    pending in the changing transaction, and once it commits, queue the refresh of today's lights. A rolled-back
    write leaves neither."""
    LightChange.objects.bulk_create([LightChange(plan_id=plan_id, task_id=task_id)
                                     for task_id in (task_ids if task_ids is not None else (None,))])  # fmt: skip
    today = timezone.localdate()
    transaction.on_commit(lambda: _enqueue_refresh(plan_id, task_ids, today))


def rule_set_changed(rule_set) -> None:
    """A rule set was saved (the admin): every light of the plans it may apply to is pending (one row per plan)."""
    plans = Plan.objects.filter(pk=rule_set.plan_id) if rule_set.plan_id else Plan.objects.all()
    for plan_id in plans.values_list("pk", flat=True):
        on_task_facts_changed(None, plan_id=plan_id, task_ids=None)


def _enqueue_refresh(plan_id: int, task_ids: tuple[int, ...] | None, as_of: date) -> None:
    """Publish the refresh job. An unreachable broker is logged, not raised (the write has committed): the change
    stays pending, and the next reader of today's lights or the next refresh applies it."""
    from evaluation.jobs import task_lights_refresh_job  # Celery's late import: the job calls this module back

    publish(task_lights_refresh_job, plan_id, None if task_ids is None else list(task_ids), as_of.isoformat(),
            about=f"plan {plan_id} light refresh of {task_ids}",
            recovery="the change stays pending for the next reader or refresh")
