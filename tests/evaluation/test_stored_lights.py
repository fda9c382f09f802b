"""Stored daily task lights and ``GET /api/tasks/?light=&as_of=``: the database filter agrees with the rule
(``task_light``) on a table of cases; the days are computed whole, replaced whole, caught up when missed and kept
fresh when facts change; the filter is scoped, checked (400) and costs a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from evaluation.lights import lights_store_due, plan_lights_store, task_lights_refresh
from evaluation.models import LightChange, LightDay, LightOverride, StoredLight
from evaluation.rules import Colour
from evaluation.selectors import task_lights
from tasks.lifecycle import Kind, Status
from tasks.models import Milestone, Plan, Report, ReportingRound
from tasks.services import task_update
from tests.conftest import make_persona
from tests.factories import make_milestone, make_plan, make_task
from units.models import Unit
from workflow.services import round_close

pytestmark = pytest.mark.django_db
TODAY = date(2025, 7, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")
DONE = Milestone.Status.DONE


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2025, 7, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def persona(name: str) -> User:
    return User.objects.filter(username=name).first() or make_persona(name)


def client_for(name: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(persona(name))
    return client


def days(n: int) -> date:
    return TODAY - timedelta(days=n)


def progress_case(plan, code: str, *, due: str, done: str):
    """A task whose E is ``due`` points (a milestone due last month) and A is ``done`` of them (a milestone of that
    weight done), the rest due next year: gap = due − done, nothing overdue beyond the undone due part."""
    task = make_task(plan, code)
    due_w, done_w = Decimal(due), Decimal(done)
    if done_w:
        make_milestone(task, "a", days(40), weight=str(done_w), status=DONE, completed_date=days(41))
    if due_w - done_w:
        # Due today: counted in E, not yet overdue (overdue is strictly after the due date).
        make_milestone(task, "b", TODAY, weight=str(due_w - done_w))
    make_milestone(task, "z", date(2026, 6, 30), weight=str(Decimal(100) - due_w))
    return task


def overdue_case(plan, code: str, *, overdue: int):
    """A task one day-weighted milestone overdue by ``overdue`` days, the rest done: gap 1 point (green)."""
    task = make_task(plan, code)
    make_milestone(task, "a", days(200), weight="99", status=DONE, completed_date=days(200))
    make_milestone(task, "b", days(overdue), weight="1")
    return task


def missed_case(plan, code: str, *, missed: int, rounds: list[ReportingRound]):
    """A task on schedule (nothing due) that missed ``missed`` closed rounds and reported the others."""
    task = make_task(plan, code)
    make_milestone(task, "a", date(2026, 6, 30), weight="100")
    for index, round_ in enumerate(rounds):
        submitted = None if index < missed else datetime(2025, 4, 1, 9, tzinfo=SHANGHAI)
        Report.objects.create(round=round_, task=task, unit=task.lead_unit, kind=Kind.TASK, due_date=round_.due_date,
                              status=Status.APPROVED if submitted else Status.WAITING, submitted_at=submitted,
                              approved_at=submitted, missing_at_close=submitted is None)  # fmt: skip
    return task


@pytest.fixture
def cases():
    """Each colour, each band edge, an overdue milestone, missed rounds, blue done, grey nothing due: label →
    (task, the colour the rule gives, as DOMAIN.md's table reads)."""
    plan = make_plan("lights")
    rounds = [
        ReportingRound.objects.create(plan=plan, period=period, period_start=start, period_end=end, due_date=due,
                                      status=ReportingRound.Status.CLOSED)
        for period, start, end, due in (
            ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 10)),
            ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30), date(2025, 7, 10)),
        )
    ]
    table = {
        "green: on schedule": (progress_case(plan, "g1", due="50", done="50"), Colour.GREEN),
        "green: gap 5 (edge, inclusive)": (progress_case(plan, "g2", due="55", done="50"), Colour.GREEN),
        "yellow: gap 5.5": (progress_case(plan, "y1", due="55.5", done="50"), Colour.YELLOW),
        "yellow: gap 15 (edge)": (progress_case(plan, "y2", due="65", done="50"), Colour.YELLOW),
        "orange: gap 15.5": (progress_case(plan, "o1", due="65.5", done="50"), Colour.ORANGE),
        "orange: gap 30 (edge)": (progress_case(plan, "o2", due="80", done="50"), Colour.ORANGE),
        "red: gap 30.5": (progress_case(plan, "r1", due="80.5", done="50"), Colour.RED),
        "yellow: 1 day overdue": (overdue_case(plan, "d1", overdue=1), Colour.YELLOW),
        "yellow: 7 days overdue (edge)": (overdue_case(plan, "d7", overdue=7), Colour.YELLOW),
        "orange: 8 days overdue": (overdue_case(plan, "d8", overdue=8), Colour.ORANGE),
        "orange: 15 days overdue (edge)": (overdue_case(plan, "d15", overdue=15), Colour.ORANGE),
        "red: 16 days overdue": (overdue_case(plan, "d16", overdue=16), Colour.RED),
        "green: rounds all reported": (missed_case(plan, "m0", missed=0, rounds=rounds), Colour.GREEN),
        "orange: 1 missed round": (missed_case(plan, "m1", missed=1, rounds=rounds), Colour.ORANGE),
        "red: 2 missed rounds": (missed_case(plan, "m2", missed=2, rounds=rounds), Colour.RED),
        "blue: accepted as done": (make_task(plan, "b1", status="done", completed_date=days(30)), Colour.BLUE),
        "grey: nothing due, nothing reported": (progress_case(plan, "n1", due="0", done="0"), Colour.GREY),
    }
    return plan, table


def listed(client: APIClient, **params) -> set[int]:
    response = client.get("/api/tasks/", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == len(body["results"])
    return {row["id"] for row in body["results"]}


def test_the_light_filter_agrees_with_the_rule_on_every_case(cases):
    plan, table = cases
    user = persona("leo")
    ids = [task.pk for task, _colour in table.values()]
    by_rule = {task_id: each.light.colour for task_id, each in
               task_lights(user=user, task_ids=ids, plan_id=plan.pk, as_of=TODAY).items()}  # fmt: skip
    # The table says what the rule gives (so a case that stopped testing its edge is noticed) …
    assert {label: by_rule[task.pk] for label, (task, _c) in table.items()} == {
        label: colour for label, (_t, colour) in table.items()
    }
    # … and the filter returns, for every colour, exactly the tasks the rule gives that colour.
    client = client_for("leo")
    for colour in Colour:
        expected = {task_id for task_id, light in by_rule.items() if light == colour}
        assert listed(client, plan=plan.code, light=colour.value) == expected, colour
    stored = dict(StoredLight.objects.filter(plan=plan, as_of=TODAY).values_list("task_id", "colour"))
    assert stored == {task_id: str(colour) for task_id, colour in by_rule.items()}


def test_the_stored_row_keeps_what_the_rule_says_with_reasons_as_codes(cases):
    plan, table = cases
    day = plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    assert (day.tasks_total, day.rule_set.code) == (len(table), "default")
    task, _colour = table["orange: 8 days overdue"]
    row = StoredLight.objects.get(task=task, as_of=TODAY)
    assert (row.colour, row.expected, row.actual, row.overdue_days, row.missed_rounds) == (
        "orange", Decimal("100.0"), Decimal("99.0"), 8, 0)
    assert row.reasons == [{"code": "milestone_overdue", "values": {"milestone": "节点 b", "days": 8}}]


def test_storing_a_day_again_replaces_it_whole(cases):
    plan, table = cases
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    task, _colour = table["red: 16 days overdue"]
    Milestone.objects.filter(task=task, code="b").update(status=DONE, completed_date=days(16))
    StoredLight.objects.create(plan=plan, task=table["grey: nothing due, nothing reported"][0], as_of=days(1),
                               colour="red", expected=0, actual=0)  # another day: untouched  # fmt: skip
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    assert StoredLight.objects.filter(plan=plan, as_of=TODAY).count() == len(table)
    assert StoredLight.objects.get(task=task, as_of=TODAY).colour == "green"
    assert StoredLight.objects.filter(as_of=days(1)).count() == 1
    assert LightDay.objects.filter(plan=plan).count() == 1


def test_as_of_reads_the_lights_of_that_day_and_stores_them(cases):
    plan, table = cases
    client = client_for("alice")
    task, _colour = table["red: 16 days overdue"]
    # Ten days ago the milestone was 6 days overdue: yellow.
    assert task.pk in listed(client, plan=plan.pk, light="yellow", as_of=days(10).isoformat())
    assert task.pk not in listed(client, plan=plan.pk, light="red", as_of=days(10).isoformat())
    assert task.pk in listed(client, plan=plan.pk, light="red")
    assert set(LightDay.objects.filter(plan=plan).values_list("as_of", flat=True)) == {days(10), TODAY}


@pytest.mark.parametrize(("params", "field"), [
    ({"light": "purple"}, "light"),
    ({"light": "RED"}, "light"),
    ({"light": "red", "as_of": "2025-13-01"}, "as_of"),
    ({"light": "red", "as_of": "yesterday"}, "as_of"),
    ({"light": "red", "as_of": "20250701"}, "as_of"),
    ({"light": "red", "as_of": "2025-07-21"}, "as_of"),
    ({"light": "red", "as_of": "1999-12-31"}, "as_of"),
])  # fmt: skip
def test_a_bad_colour_or_day_is_a_field_error(cases, params, field):
    response = client_for("alice").get("/api/tasks/", params)
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["errors"])) == ("invalid", [field])
    assert not LightDay.objects.exists()


def test_the_filter_only_narrows_what_the_user_may_list(cases):
    _plan, table = cases
    draft = make_plan("draft-lights", status=Plan.Status.DRAFT)
    hidden = overdue_case(draft, "h1", overdue=30)
    red = {task.pk for task, colour in table.values() if colour == Colour.RED}
    assert listed(client_for("alice"), light="red") == red  # a unit's reporter: not the draft plan's task
    assert not LightDay.objects.filter(plan=draft).exists()  # nor its lights computed for them
    assert listed(client_for("sam"), light="red") == red | {hidden.pk}  # the supervisor reads drafts
    assert APIClient().get("/api/tasks/", {"light": "red"}).status_code == 401


def test_an_override_does_not_move_the_filtered_light(cases):
    _plan, table = cases
    task, _colour = table["orange: 1 missed round"]
    LightOverride.objects.create(task=task, computed="orange", colour="yellow", reason="已补报", by=persona("sam"))
    client = client_for("leo")
    assert task.pk in listed(client, light="orange")
    assert task.pk not in listed(client, light="yellow")


def test_the_filtered_list_costs_the_same_queries_whatever_the_number_of_tasks(cases):
    plan, _table = cases
    client = client_for("leo")
    client.get("/api/tasks/", {"light": "red"})  # the day is computed and stored once

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/tasks/", {"light": "red", "plan": plan.code}).status_code == 200
        return len(captured)

    few = count()
    unit = Unit.objects.get(short_name="市科技局")
    for n in range(30):
        task = make_task(plan, f"x{n}", lead=unit.short_name, responsible=("市发展改革委",))
        make_milestone(task, "a", days(20 + n))
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    assert len(listed(client, light="red", plan=plan.code)) > 30
    assert count() == few


def test_the_filter_costs_the_list_one_query_once_its_days_are_stored(cases):
    plan, _table = cases
    make_plan("lights-2")  # an active plan with no task: neither listed nor computed
    client = client_for("leo")
    client.get("/api/tasks/", {"light": "red"})  # the days are computed and stored once

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/tasks/", params).status_code == 200
        return len(captured)

    # The listed tasks' plans and whether their days are stored and fresh: one question, not two.
    assert count(light="red") == count() + 1
    assert count(light="red", plan=plan.code, page=1) == count(plan=plan.code, page=1) + 1
    assert set(LightDay.objects.values_list("plan__code", flat=True)) == {plan.code}


def test_a_day_not_stored_is_computed_when_first_filtered(cases):
    plan, table = cases
    assert not LightDay.objects.exists()
    client = client_for("leo")
    with CaptureQueriesContext(connection) as first:
        reds = listed(client, light="red")
    assert reds == {task.pk for task, colour in table.values() if colour == Colour.RED}
    assert LightDay.objects.get(plan=plan, as_of=TODAY).tasks_total == len(table)
    with CaptureQueriesContext(connection) as again:
        listed(client, light="red")
    assert len(again) < len(first)  # stored now: read, not computed


def test_the_schema_lists_the_colours_and_as_of():
    schema = client_for("leo").get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/tasks/"]["get"]["parameters"]}
    assert parameters["light"]["schema"]["enum"] == ["blue", "green", "grey", "orange", "red", "yellow"]
    assert parameters["as_of"]["schema"]["format"] == "date"


# --- the job and freshness ------------------------------------------------------------------------------------


def test_the_daily_job_stores_today_and_catches_up_missed_days(cases):
    plan, table = cases
    draft = make_plan("draft-lights", status=Plan.Status.DRAFT)
    make_task(draft, "1")
    plan_lights_store(plan_id=plan.pk, as_of=days(3))  # the worker was down for two nights since
    computed = lights_store_due(today=TODAY, catch_up_days=7)
    assert computed == [(plan.pk, days(2)), (plan.pk, days(1)), (plan.pk, TODAY)]
    assert StoredLight.objects.filter(plan=plan, as_of=days(1)).count() == len(table)
    assert lights_store_due(today=TODAY, catch_up_days=7) == []  # idempotent
    assert not LightDay.objects.filter(plan=draft).exists()


def test_the_catch_up_is_bounded_and_a_new_plan_starts_today(cases):
    plan, _table = cases
    other = make_plan("fresh-lights")
    make_task(other, "1")
    plan_lights_store(plan_id=plan.pk, as_of=days(30))
    computed = lights_store_due(today=TODAY, catch_up_days=2)
    assert computed == [(plan.pk, days(2)), (plan.pk, days(1)), (plan.pk, TODAY), (other.pk, TODAY)]


def test_the_beat_runs_the_job_shortly_after_midnight_in_shanghai():
    entry = settings.CELERY_BEAT_SCHEDULE["evaluation.lights_daily"]
    assert entry["task"] == "evaluation.lights_daily"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {10})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    from evaluation.jobs import lights_daily_job

    assert lights_daily_job.name == "evaluation.lights_daily"


def test_a_change_of_facts_refreshes_todays_stored_light_on_commit(cases, django_capture_on_commit_callbacks):
    plan, table = cases
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    task, _colour = table["red: 2 missed rounds"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        task_update(actor=persona("sam"), task=task, changes={"status": "done", "completed_date": TODAY})
    assert len(callbacks) == 1
    assert StoredLight.objects.get(task=task, as_of=TODAY).colour == "blue"
    assert StoredLight.objects.filter(plan=plan, as_of=TODAY).count() == len(table)
    assert task.pk in listed(client_for("leo"), light="blue")


def test_a_rolled_back_change_queues_nothing(cases, django_capture_on_commit_callbacks):
    _plan, table = cases
    task, _colour = table["red: 2 missed rounds"]
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          transaction.atomic()):
        task_update(actor=persona("sam"), task=task, changes={"status": "done", "completed_date": TODAY})
        raise RuntimeError
    assert callbacks == []


def test_closing_a_round_refreshes_the_plans_lights(cases, django_capture_on_commit_callbacks):
    plan, table = cases
    task, _colour = table["green: on schedule"]
    open_round = ReportingRound.objects.create(plan=plan, period="2024-Q4", period_start=date(2024, 10, 1),
                                               period_end=date(2024, 12, 31), due_date=date(2025, 1, 10),
                                               status=ReportingRound.Status.OPEN)  # fmt: skip
    Report.objects.create(round=open_round, task=task, unit=task.lead_unit, kind=Kind.TASK,
                          due_date=open_round.due_date, status=Status.WAITING)  # fmt: skip
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    assert StoredLight.objects.get(task=task, as_of=TODAY).colour == "orange"  # past due, not submitted: missed
    Report.objects.filter(round=open_round).update(submitted_at=datetime(2025, 1, 9, tzinfo=SHANGHAI))
    with django_capture_on_commit_callbacks(execute=True):
        round_close(actor=None, round_id=open_round.pk, now=datetime(2025, 7, 20, 10, tzinfo=SHANGHAI))
    assert StoredLight.objects.get(task=task, as_of=TODAY).colour == "green"


def test_a_refresh_of_a_day_not_stored_leaves_it_to_be_computed_whole(cases):
    plan, table = cases
    task, _colour = table["red: 16 days overdue"]
    assert task_lights_refresh(plan_id=plan.pk, as_of=TODAY, task_ids=[task.pk]) == 0
    assert not StoredLight.objects.exists() and not LightDay.objects.exists()


def test_a_task_added_during_the_day_gets_its_light(cases, django_capture_on_commit_callbacks):
    plan, table = cases
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    from tasks.services import task_create

    with django_capture_on_commit_callbacks(execute=True):
        task = task_create(actor=persona("sam"), plan=plan, code="new", title="新任务", text="新任务",
                           lead_unit=Unit.objects.get(short_name="市经济信息委"))  # fmt: skip
    assert StoredLight.objects.get(task=task, as_of=TODAY).colour == "grey"
    assert LightDay.objects.get(plan=plan, as_of=TODAY).tasks_total == len(table) + 1


def test_a_change_whose_refresh_job_is_lost_is_applied_by_the_next_reader(cases, django_capture_on_commit_callbacks):
    plan, table = cases
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    task, _colour = table["red: 2 missed rounds"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the broker is down: nothing runs
        task_update(actor=persona("sam"), task=task, changes={"status": "done", "completed_date": TODAY})
    assert len(callbacks) == 1 and LightChange.objects.filter(plan=plan, task=task).count() == 1
    assert StoredLight.objects.get(task=task, as_of=TODAY).colour == "red"  # late in the table…
    assert task.pk in listed(client_for("leo"), light="blue")  # …never in an answer
    assert not LightChange.objects.exists() and StoredLight.objects.get(task=task, as_of=TODAY).colour == "blue"
    assert task_lights_refresh(plan_id=plan.pk, as_of=TODAY) == 0  # the job, delivered at last, has nothing to do


def test_a_rule_set_saved_in_the_admin_makes_its_plans_lights_pending(cases):
    from evaluation.admin import RuleSetAdmin
    from evaluation.models import RuleSet

    plan, _table = cases
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    rule_set = RuleSet.objects.get(code="default")

    class Request:
        user = persona("sam")

    RuleSetAdmin(RuleSet, None).save_model(Request(), rule_set, form=None, change=True)
    assert LightChange.objects.filter(plan=plan, task__isnull=True).exists()


def test_importing_a_plan_that_changes_it_makes_its_lights_pending(cases, tmp_path):
    from tasks.importing.apply import plan_import
    from tests.tasks.test_import_yaml import PLAN, write

    source = write(tmp_path, PLAN)
    report = plan_import(source=source)
    fresh = Plan.objects.get(code=report.plan_code)
    assert LightChange.objects.filter(plan=fresh, task__isnull=True).count() == 1
    plan_import(source=source)  # unchanged: nothing pending
    assert LightChange.objects.filter(plan=fresh).count() == 1


def test_the_daily_job_drops_pending_changes_from_before_today(cases):
    plan, table = cases
    task, _colour = table["red: 2 missed rounds"]
    LightChange.objects.create(plan=plan, task=task)
    LightChange.objects.update(at=datetime(2025, 7, 19, 23, 0, tzinfo=SHANGHAI))
    LightChange.objects.create(plan=plan, task=task)
    lights_store_due(today=TODAY, catch_up_days=0)
    assert not LightChange.objects.exists()  # the old one dropped, today's applied by today's computation


def test_a_change_below_a_parent_refreshes_the_parents_stored_light(cases, django_capture_on_commit_callbacks):
    plan, _table = cases
    parent = make_task(plan, "p", title="上级")
    child = make_task(plan, "p.1", title="下级", parent=parent)
    make_milestone(child, "a", days(30), title="逾期节点")
    make_task(plan, "p.2", title="其他下级", parent=parent)
    plan_lights_store(plan_id=plan.pk, as_of=TODAY)
    assert StoredLight.objects.get(task=parent, as_of=TODAY).colour == "red"
    with django_capture_on_commit_callbacks(execute=True):
        task_update(actor=persona("sam"), task=child, changes={"status": "done", "completed_date": TODAY})
    assert StoredLight.objects.get(task=child, as_of=TODAY).colour == "blue"
    assert StoredLight.objects.get(task=parent, as_of=TODAY).colour == "blue"  # every task below it is done
    assert parent.pk in listed(client_for("leo"), light="blue")
