"""The unit directory is the real one, loads idempotently, and its constraints hold."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from units.models import Membership, Track, Unit
from units.selectors import user_scope
from units.services import units_load

pytestmark = pytest.mark.django_db


def test_the_real_units_are_loaded():
    districts = Unit.objects.filter(kind__in=Unit.DISTRICT_KINDS)
    assert districts.count() == 38
    assert Unit.objects.filter(kind=Unit.Kind.DISTRICT).count() == 26
    assert Unit.objects.filter(kind=Unit.Kind.COUNTY).count() == 8
    assert Unit.objects.filter(kind=Unit.Kind.AUTONOMOUS_COUNTY).count() == 4
    assert Unit.objects.filter(kind=Unit.Kind.ZONE).count() == 3
    assert Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).count() >= 15
    assert set(Track.objects.values_list("name", flat=True)) == {
        "市级部门",
        "中心城区",
        "主城新区",
        "渝东北",
        "渝东南",
        "开发区",
    }
    assert Unit.objects.get(short_name="梁平区").adcode == "500155"
    assert "市经信委" in Unit.objects.get(short_name="市经济信息委").aliases
    assert Unit.objects.get(short_name="市政府办公厅").track is None


def test_loading_again_changes_nothing():
    result = units_load()
    assert (result.created, result.updated) == (0, 0)


def test_a_changed_name_in_the_file_updates_the_unit(tmp_path):
    from units.services import DEFAULT_UNITS_FILE

    text = DEFAULT_UNITS_FILE.read_text(encoding="utf-8").replace(
        "name_en: Chongqing Municipal Development and Reform Commission", "name_en: DRC"
    )
    path = tmp_path / "units.yaml"
    path.write_text(text, encoding="utf-8")
    result = units_load(path=path)
    assert result.updated == 1
    assert Unit.objects.get(code="fgw").name_en == "DRC"


def test_a_file_with_clashing_names_writes_nothing(tmp_path):
    from units.services import DEFAULT_UNITS_FILE

    text = DEFAULT_UNITS_FILE.read_text(encoding="utf-8").replace("aliases: [市发改委, 发改委]", "aliases: [市经信委]")
    path = tmp_path / "units.yaml"
    path.write_text(text, encoding="utf-8")
    before = list(Unit.objects.values_list("aliases", flat=True))
    with pytest.raises(ValueError, match="市经信委"):
        units_load(path=path)
    assert list(Unit.objects.values_list("aliases", flat=True)) == before


def test_adcodes_are_unique_and_six_digits():
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(code="x", name="X", short_name="X", kind=Unit.Kind.DISTRICT, adcode="500155")
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(code="y", name="Y", short_name="Y", kind=Unit.Kind.DISTRICT, adcode="5001")


def test_a_user_has_a_role_in_a_unit_at_most_once(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=alice, unit=Unit.objects.get(short_name="市经济信息委"), role="reporter")


def test_scope_reflects_memberships_and_is_cached(alice, sam, leo, django_assert_num_queries):
    with django_assert_num_queries(1):
        scope = user_scope(alice)
        assert user_scope(alice) is scope
    assert scope.unit_ids == {Unit.objects.get(short_name="市经济信息委").pk}
    assert not scope.is_supervisor and not scope.sees_all_units
    assert user_scope(sam).is_supervisor and user_scope(sam).sees_all_units
    assert user_scope(leo).sees_all_units and not user_scope(leo).is_supervisor


def test_importing_a_plan_into_a_register_without_units_says_to_load_them_first(tmp_path):
    """Issue 7, item 10a: a fresh production database has no units; the import used to crash in the suggester."""
    from io import StringIO

    from django.contrib.auth.models import User
    from django.core.management import call_command

    from tasks.demo import CHONGQING_PLAN_FILE
    from tasks.importing.apply import plan_import
    from tasks.importing.errors import PlanImportError
    from tasks.models import Plan

    Membership.objects.all().delete()
    Unit.objects.all().delete()
    with pytest.raises(PlanImportError, match="load_units"):
        plan_import(source=CHONGQING_PLAN_FILE)
    assert not Plan.objects.exists()

    out = StringIO()
    call_command("load_units", stdout=out)
    assert "created" in out.getvalue() and Unit.objects.filter(kind__in=Unit.DISTRICT_KINDS).count() == 38
    assert not User.objects.exists() and not Plan.objects.exists(), "no demo account, no plan"
    assert plan_import(source=CHONGQING_PLAN_FILE).changed
