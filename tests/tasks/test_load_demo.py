"""`manage.py load_demo` loads the whole demo, and running it again changes nothing."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from tasks.demo import CHONGQING_PLAN_CODE, DEMO_ACCOUNTS, DEMO_PASSWORD
from tasks.models import AuditEvent, Indicator, Milestone, Plan, PlanTask, TaskUnit
from units.models import Membership, Unit


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Unit, Plan, PlanTask, TaskUnit, Indicator, Milestone, User, Membership)
    }


def test_load_demo_is_complete_and_idempotent(db):
    call_command("load_demo", stdout=StringIO())
    first = _counts()
    plan = Plan.objects.get(code=CHONGQING_PLAN_CODE)
    assert plan.tasks.count() >= 60
    assert Indicator.objects.filter(plan=plan).count() >= 22
    assert {m.role for m in Membership.objects.all()} == {r.value for r in Membership.Role}
    for account in DEMO_ACCOUNTS:
        assert authenticate(username=account.username, password=DEMO_PASSWORD) is not None

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == first
    assert "0 created" in out.getvalue()
    assert AuditEvent.objects.filter(action="plan.import").count() >= 1
