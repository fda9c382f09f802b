"""Rule sets: the default one from the data migration, the active set for a plan and period, the admin's field errors,
and the read-only API every signed-in user may read (units must see how they are judged)."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from evaluation.models import Evaluation, RuleSet
from evaluation.rules import DEFAULT_SPEC, RuleSpec
from evaluation.selectors import active_rule_set
from tests.conftest import PERSONAS, make_persona
from tests.factories import make_plan

pytestmark = pytest.mark.django_db


def default_rule_set() -> RuleSet:
    migration = importlib.import_module("evaluation.migrations.0002_default_rule_set")
    migration.create_default(apps, None)  # idempotent: the row is there after migrate (unless a test flushed it)
    importlib.import_module("evaluation.migrations.0010_missed_window").fill_missed_window(apps, None)
    importlib.import_module("evaluation.migrations.0011_major_red_scope").fill_major_red_scope(apps, None)
    return RuleSet.objects.get(code="default", version=1)


def test_the_data_migration_writes_domain_md_defaults_out_in_full():
    rule_set = default_rule_set()
    assert rule_set.plan is None and rule_set.effective_from == "2023-Q1"
    assert rule_set.spec == DEFAULT_SPEC.to_data()  # the whole spec as data, not an empty "use the code's defaults"
    assert rule_set.rules == DEFAULT_SPEC


def test_specs_stored_before_major_red_scope_keep_all_and_an_unused_rule_set_takes_lead():
    """Migration 0011: results computed before the setting existed read as they were computed (every unit with a
    part capped); a rule set nothing was computed with takes the new default; a spec that says it keeps it."""
    old = {key: value for key, value in DEFAULT_SPEC.to_data().items() if key != "major_red_scope"}
    used = RuleSet.objects.create(code="used", name="用过的", effective_from="2024-Q1", spec=dict(old))
    RuleSet.objects.create(code="unused", name="没用过的", effective_from="2025-Q1", spec=dict(old))
    chosen = RuleSet.objects.create(code="chosen", name="已设定", effective_from="2026-Q1",
                                    spec={**old, "major_red_scope": "lead"})  # fmt: skip
    plan = make_plan("cq")
    evaluation = Evaluation.objects.create(plan=plan, period="2024-Q3", period_start=date(2024, 7, 1),
                                           period_end=date(2024, 9, 30), as_of=date(2024, 10, 10), rule_set=used,
                                           spec=dict(old))  # fmt: skip
    Evaluation.objects.create(plan=plan, period="2026-Q1", period_start=date(2026, 1, 1),
                              period_end=date(2026, 3, 31), as_of=date(2026, 4, 10), rule_set=chosen,
                              spec={**old, "major_red_scope": "lead"})  # fmt: skip
    fill = importlib.import_module("evaluation.migrations.0011_major_red_scope").fill_major_red_scope
    fill(apps, None)
    fill(apps, None)  # idempotent
    evaluation.refresh_from_db()
    assert evaluation.spec == {**old, "major_red_scope": "all"}
    assert RuleSpec.from_data(evaluation.spec).major_red_scope == "all"
    stored = RuleSet.objects.filter(code__in=["used", "unused", "chosen"])
    scopes = dict(stored.values_list("code", "spec__major_red_scope"))
    assert scopes == {"used": "all", "unused": "lead", "chosen": "lead"}


def test_the_active_rule_set_is_the_plans_own_latest_started_else_the_general_one():
    general = default_rule_set()
    plan, other = make_plan("cq"), make_plan("other")
    later_general = RuleSet.objects.create(code="general-2026", name="2026 通用", effective_from="2026-Q1")
    own = RuleSet.objects.create(code="cq-2025", name="重庆 2025", plan=plan, effective_from="2025-Q3")
    assert active_rule_set(plan_id=plan.pk, period="2025-Q2") == general
    assert active_rule_set(plan_id=plan.pk, period="2025-Q3") == own
    assert active_rule_set(plan_id=plan.pk, period="2026-Q2") == own  # the plan's own wins over a later general one
    assert active_rule_set(plan_id=other.pk, period="2026-02") == later_general
    assert active_rule_set(plan_id=other.pk, period="2022-Q4") is None


def test_the_admin_names_every_wrong_field_and_saves_a_valid_one(client):
    admin = make_persona("sam", is_staff=True, is_superuser=True)
    client.force_login(admin)
    bad = {"code": "bad", "version": 1, "name": "错的", "effective_from": "2025-Q5",
           "spec": '{"weights": {"f1": "0.5"}, "bonus_cap": -1, "major_red_scope": "everyone"}',
           "note": ""}  # fmt: skip
    response = client.post("/admin/evaluation/ruleset/add/", bad)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "2025-Q5" in str(errors["effective_from"])
    assert any(message.startswith("weights:") for message in errors["spec"])
    assert any(message.startswith("bonus_cap:") for message in errors["spec"])
    assert "major_red_scope: 只能是 lead（只限牵头单位）或 all（所有有分工的单位）" in errors["spec"]
    good = {**bad, "code": "good", "effective_from": " 2025-q3 ", "spec": '{"weights": {"f1": "0.3", "f2": "0.4"}}'}
    response = client.post("/admin/evaluation/ruleset/add/", good)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = RuleSet.objects.get(code="good")
    assert (saved.effective_from, str(saved.effective_start), saved.created_by) == ("2025-Q3", "2025-07-01", admin)
    assert saved.spec["weights"] == {"f1": "0.3", "f2": "0.4", "f3": "0.20", "f4": "0.10"}  # stored in full


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_signed_in_user_reads_the_rule_sets_and_their_legend(persona):
    default_rule_set()
    client = APIClient()
    client.force_authenticate(make_persona(persona))
    listed = client.get("/api/rule-sets/")
    assert listed.status_code == 200
    row = next(row for row in listed.json()["results"] if row["code"] == "default")
    detail = client.get(f"/api/rule-sets/{row['id']}/").json()
    assert detail["spec"]["weights"] == {"f1": "0.35", "f2": "0.35", "f3": "0.20", "f4": "0.10"}
    assert [swatch["colour"] for swatch in detail["legend"]] == ["blue", "green", "yellow", "orange", "red", "grey"]
    assert detail["legend"][0] == {"colour": "blue", "label": "领跑", "label_en": "Leading",
                                   "meaning": "表扬；典型案例候选", "hex": "#1f6feb", "order": 1}  # fmt: skip


def test_anonymous_is_told_to_authenticate_and_writes_are_not_routed():
    rule_set = default_rule_set()
    assert APIClient().get("/api/rule-sets/").status_code == 401
    client = APIClient()
    client.force_authenticate(make_persona("sam"))
    for method in ("post", "put", "patch", "delete"):
        path = "/api/rule-sets/" if method == "post" else f"/api/rule-sets/{rule_set.pk}/"
        assert getattr(client, method)(path, {}, format="json").status_code == 405


def test_the_list_reads_in_a_fixed_number_of_queries():
    default_rule_set()
    plan = make_plan("cq")
    client = APIClient()
    client.force_authenticate(make_persona("alice"))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/rule-sets/").status_code == 200
        return len(captured)

    few = count()
    for year in range(2024, 2030):
        RuleSet.objects.create(code=f"r{year}", name=str(year), plan=plan, effective_from=f"{year}-Q1")
    assert count() == few
