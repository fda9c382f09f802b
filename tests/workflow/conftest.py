"""A small world for the reporting loop.

Task 1.1 of plan "wf": lead 市经济信息委 (jxw); responsible 市发展改革委 (fgw) and 市科技局 (kjj).
People: the personas of tests/conftest.py, called by unit and role: a reporter and a head per unit (fgw-r bob,
fgw-h dave, kjj-r erin, kjj-h frank, jxw-r alice, jxw-h carol), sam (supervisor), leo (leader).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User

from tasks.models import Indicator, Milestone, Plan, PlanTask, Report, ReportingRound
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from tests.support import submit_report, valid_report
from units.services import units_load
from workflow import services


@dataclass
class World:
    plan: Plan
    task: PlanTask
    indicator: Indicator
    milestone: Milestone
    users: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.users[name]

    def open_round(self, period: str = "2025-Q3", due: date = date(2025, 10, 10)) -> ReportingRound:
        round_, _ = services.round_open(actor=self["sam"], plan=self.plan, period=period, due_date=due)
        return services.round_open_run(round_id=round_.pk)

    def part(self, round_: ReportingRound, short_name: str, task: PlanTask | None = None) -> Report:
        return Report.objects.get(round=round_, task=task or self.task, kind="part", unit__short_name=short_name)

    def task_report(self, round_: ReportingRound, task: PlanTask | None = None) -> Report:
        return Report.objects.get(round=round_, task=task or self.task, kind="task")


UNITS = {"fgw": "市发展改革委", "kjj": "市科技局", "jxw": "市经济信息委"}

# The world's name for each of its people: the persona (tests/conftest.py) it is.
PEOPLE = {"sam": "sam", "leo": "leo", "fgw-r": "bob", "fgw-h": "dave", "kjj-r": "erin", "kjj-h": "frank",
          "jxw-r": "alice", "jxw-h": "carol"}


@pytest.fixture
def world(request: pytest.FixtureRequest, db: None) -> World:
    return build_world({key: request.getfixturevalue(persona) for key, persona in PEOPLE.items()})


def build_world(users: dict[str, User]) -> World:
    """The plan, task, indicator and milestone of the world, for its people (keyed as in ``PEOPLE``)."""
    plan = make_plan("wf")
    parent = make_task(plan, "1", lead=None)
    task = make_task(plan, "1.1", parent=parent, responsible=("市发展改革委", "市科技局"))
    indicator = make_indicator(task, "I1")
    milestone = make_milestone(task, "2025", date(2025, 9, 30))
    return World(plan=plan, task=task, indicator=indicator, milestone=milestone, users=users)


@pytest.fixture
def committed_units(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The unit directory, committed, for tests on ``transactional_db``: it empties every table when a test
    ends, so the units are loaded again afterwards for the tests that run later."""
    with django_db_blocker.unblock():
        units_load()
    yield
    with django_db_blocker.unblock():
        units_load()


def fill_and_sign(world: World, round_: ReportingRound, key: str, **data) -> Report:
    part = world.part(round_, UNITS[key])
    content = services.report_content(valid_report(**{"narrative": f"{key} 进展", **data}))
    services.report_update(actor=world[f"{key}-r"], report_id=part.pk, content=content)
    submit_report(actor=world[f"{key}-r"], report_id=part.pk)
    return services.report_sign_off(actor=world[f"{key}-h"], report_id=part.pk)
