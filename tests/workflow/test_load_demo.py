"""`manage.py load_demo` loads the whole demo, opens the current round, and running it again changes nothing."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import RequestFactory

from tasks.demo import CHONGQING_PLAN_CODE, DEMO_ACCOUNTS, DEMO_PASSWORD
from tasks.models import AuditEvent, Indicator, Milestone, Plan, PlanTask, Report, ReportingRound, TaskUnit
from units.models import Membership, Unit
from workflow.management.commands.load_demo import current_quarter


def _sign_in(username: str) -> User | None:
    """``authenticate`` as the login form calls it: django-axes needs the request."""
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=DEMO_PASSWORD)


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Unit, Plan, PlanTask, TaskUnit, Indicator, Milestone, User, Membership, ReportingRound, Report)
    }


@time_machine.travel("2026-11-25 09:00 +0800")
def test_load_demo_is_complete_and_idempotent(db):
    call_command("load_demo", "--no-history", stdout=StringIO())
    first = _counts()
    plan = Plan.objects.get(code=CHONGQING_PLAN_CODE)
    assert plan.tasks.count() >= 60
    assert Indicator.objects.filter(plan=plan).count() >= 22
    assert {m.role for m in Membership.objects.all()} == {r.value for r in Membership.Role}
    round_ = ReportingRound.objects.get(plan=plan)
    assert (round_.period, round_.status, str(round_.due_date)) == ("2026-Q4", "open", "2027-01-10")
    assert round_.tasks_opened >= 60
    for account in DEMO_ACCOUNTS:
        assert _sign_in(account.username) is not None

    out = StringIO()
    call_command("load_demo", "--no-history", stdout=out)
    assert _counts() == first
    assert "0 created" in out.getvalue()
    assert AuditEvent.objects.filter(action="plan.import").count() >= 1


@pytest.mark.parametrize(
    ("today", "period", "due"),
    [("2026-11-25", "2026-Q4", "2027-01-10"), ("2025-01-01", "2025-Q1", "2025-04-10"),
     ("2025-06-30", "2025-Q2", "2025-07-10")],
)
def test_the_demo_round_is_the_current_quarter(today, period, due):
    assert current_quarter(date.fromisoformat(today)) == (period, date.fromisoformat(due))


@time_machine.travel("2026-11-25 09:00 +0800")
def test_the_readmes_walk_through_can_be_finished_with_the_demo_accounts(db):
    """README: task 2.3.3 轻合金材料, parts of fgw and kjj, lead jxw — every step by a listed or generated account."""
    from workflow import services

    call_command("load_demo", "--no-history", stdout=StringIO())
    task_report = Report.objects.get(kind="task", task__code="2.3.3", round__status="open")
    parts = Report.objects.filter(task_report=task_report)
    assert sorted(parts.values_list("unit__code", flat=True)) == ["fgw", "kjj"]

    def user(name: str) -> User:
        found = _sign_in(name)
        assert found is not None, name
        return found

    for part in parts:
        code = part.unit.code
        content = services.report_content({"narrative": f"{code} 本季度进展", "percent_complete": "40"})
        services.report_submit(actor=user(f"{code}-reporter"), report_id=part.pk, content=content)
        services.report_sign_off(actor=user(f"{code}-head"), report_id=part.pk)
    services.report_submit(actor=user("jxw-reporter"), report_id=task_report.pk)
    services.report_sign_off(actor=user("jxw-head"), report_id=task_report.pk)
    approved = services.report_approve(actor=user("supervisor"), report_id=task_report.pk)
    assert approved.status == Report.Status.APPROVED
    assert set(parts.values_list("status", flat=True)) == {Report.Status.APPROVED}
