"""The demo's laggards (示例): a few units named by code, never drawn, so that the map of a published round shows its
whole legend from the units' own work — districts that report late and get their parts sent back (yellow), and
departments whose tasks stall (red, and orange beside them). The full history that shows it takes minutes; this
holds the assignment it rests on."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import time_machine
from django.core.management import call_command

from tasks.models import PlanTask
from units.models import Unit
from workflow.demo_history import CONSOLIDATION_DELAY, LAGGARDS, PROFILES, SUPERVISOR_PART_RETURN, unit_profile

NAMED = {"laggard", "stalling"}


def test_the_laggards_profiles_are_never_drawn_only_named():
    assert all(PROFILES[name][0] == 0 for name in NAMED)
    assert sum(share for share, *_rest in PROFILES.values()) == 1
    assert not any(unit_profile(Unit(code=f"unit-{n}")) in NAMED for n in range(2000))
    assert {code: unit_profile(Unit(code=code)) for code in LAGGARDS} == LAGGARDS
    # A laggard's parts come back from the supervisors; a stalling lead unit's consolidated reports come late.
    assert set(SUPERVISOR_PART_RETURN) == {"laggard"} and set(CONSOLIDATION_DELAY) == {"stalling"}


@time_machine.travel("2026-11-25 09:00 +0800")
def test_the_laggards_are_districts_of_several_tracks_and_departments_that_lead_tasks(db):
    call_command("load_demo", "--no-history", "--no-round", stdout=StringIO())
    units = {unit.code: unit for unit in Unit.objects.filter(code__in=LAGGARDS)}
    assert set(units) == set(LAGGARDS)  # every name is a unit of the demo
    districts = [units[code] for code, profile in LAGGARDS.items() if profile == "laggard"]
    assert all(unit.kind in Unit.DISTRICT_KINDS for unit in districts)
    assert 3 <= len({unit.track_id for unit in districts}) == len(districts)  # on the map, apart
    assert not PlanTask.objects.filter(lead_unit__in=districts).exists()  # their score is their reporting
    departments = [units[code] for code, profile in LAGGARDS.items() if profile == "stalling"]
    assert departments and all(unit.kind == Unit.Kind.DEPARTMENT for unit in departments)
    assert all(PlanTask.objects.filter(lead_unit=unit).exists() for unit in departments)  # tasks that stall
    profiles = Counter(unit_profile(unit) for unit in Unit.objects.all())
    assert profiles["good"] + profiles["fair"] > 0.7 * profiles.total(), profiles  # most units stay diligent
