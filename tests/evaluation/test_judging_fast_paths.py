"""The judging's fast paths held to the rules they stand beside:

- a plan's lights are judged once per distinct facts (``evaluation.rules.lights.task_lights``) and its facts come
  shared where equal (``evaluation.snapshot``): each task still gets ``task_light`` of its own facts, on generated
  plans where facts repeat as the same object and as equal copies, and on a plan read from the database;
- F2 in one pass (``evaluation.rules.scoring._progress``) is the weighted mean of min(A / E, 1) over the tasks with
  E > 0, to the last digit and exponent, as a list of pairs summed in order gives it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.rules import DEFAULT_SPEC, Colour, task_light
from evaluation.rules.config import Band
from evaluation.rules.lights import TaskFacts, task_lights
from evaluation.rules.scoring import _mean, _progress, _task_weight
from evaluation.snapshot import task_facts
from tests.evaluation.test_rules_properties import AS_OF, BY_AS_OF, task_shares
from tests.evaluation.test_rules_properties import task_facts as generated_facts
from tests.factories import make_milestone, make_plan, make_task

# A stricter spec: any gap above one point is red.
STRICT = replace(DEFAULT_SPEC, lights=replace(DEFAULT_SPEC.lights, gap=(Band(Decimal(1), Colour.GREEN),
                                                                       Band(None, Colour.RED))))  # fmt: skip


@settings(max_examples=100)
@given(
    pool=st.lists(generated_facts, min_size=1, max_size=6),
    picks=st.lists(st.tuples(st.integers(min_value=0, max_value=5), st.booleans()), max_size=25),
    as_of=BY_AS_OF,
    spec=st.sampled_from((DEFAULT_SPEC, STRICT)),
)
def test_each_task_gets_the_rules_light_of_its_own_facts(pool, picks, as_of, spec) -> None:
    facts: dict[int, TaskFacts] = {}
    for task_id, (index, copy) in enumerate(picks):
        each = pool[index % len(pool)]
        facts[task_id] = replace(each) if copy else each  # an equal copy, or the very object
    lights = task_lights(facts, as_of, spec)
    assert list(lights) == list(facts)
    assert lights == {task_id: task_light(each, as_of, spec) for task_id, each in facts.items()}


def test_tasks_with_different_facts_never_share_a_light() -> None:
    late = TaskFacts(missed_periods=("2025-Q2",))
    facts = {1: TaskFacts(), 2: late, 3: TaskFacts(), 4: replace(late, reported=True)}
    lights = task_lights(facts, AS_OF)
    assert lights == {task_id: task_light(each, AS_OF) for task_id, each in facts.items()}
    assert lights[1] is lights[3] and lights[2] != lights[1]


@pytest.mark.django_db
def test_a_plans_facts_are_shared_only_where_equal() -> None:
    plan = make_plan("cq")
    as_of = date(2025, 6, 30)
    tasks = [make_task(plan, f"1.{n}", title=f"任务{n}") for n in range(6)]
    for n, task in enumerate(tasks):
        make_milestone(task, "开工", date(2025, 3, 1), weight="50")
        make_milestone(task, "竣工" if n % 3 else "验收", date(2025, 9, 1), weight="50" if n < 4 else "25.5")
    facts = task_facts(plan_id=plan.pk, as_of=as_of)
    for a in tasks:
        for b in tasks:
            assert (facts[a.pk] is facts[b.pk]) == (facts[a.pk] == facts[b.pk]), (a.code, b.code)
    assert facts[tasks[0].pk] is facts[tasks[1].pk]  # same sums: one object
    assert facts[tasks[0].pk] != facts[tasks[4].pk]  # another weight: its own
    lights = task_lights(facts, as_of)
    assert lights == {task.pk: task_light(facts[task.pk], as_of) for task in tasks}


@settings(max_examples=150)
@given(tasks=st.lists(task_shares, max_size=30).map(tuple), spec=st.sampled_from((DEFAULT_SPEC, STRICT)))
def test_f2_in_one_pass_is_the_weighted_mean_of_the_scored_tasks(tasks, spec) -> None:
    scored = [task for task in tasks if task.expected > 0]
    one, zero = Decimal(1), Decimal(0)
    pairs = [
        (_task_weight(task, spec), min(task.actual / task.expected, one) if task.actual > 0 else zero)
        for task in scored
    ]
    f2, count = _progress(tasks, spec)
    expected = _mean(pairs)
    assert count == len(scored)
    assert repr(f2) == repr(expected)
