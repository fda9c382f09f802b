"""The leadership pages: the 五色图 (districts on their boundaries, zones and departments as tiles), the big screen,
the bulletin and its PDF, and where signing in leads — who sees what (drafts: supervisors and leaders; everyone
the published rounds; the bulletin only once published), and constant query counts."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from pypdf import PdfReader

from evaluation.models import Evaluation, UnitResult
from tests.evaluation import test_evaluation_pages as pages
from tests.support import require
from units import boundaries
from units.models import Unit

pytestmark = pytest.mark.django_db

draft = pages.draft  # the ranking pages' fixture: 2025-Q3 computed, a draft
page, published = pages.page, pages.published


def boundaries_installed() -> None:
    require(boundaries.districts() is not None,
            "the district boundaries are not installed: run `manage.py fetch_boundaries` (./run does)")  # fmt: skip


def every_unit_scored(evaluation: Evaluation) -> None:
    """Give every active unit a result (the world's round scores three): the map's 38 districts, 3 zones, ~40
    departments, as at province scale."""
    template = UnitResult.objects.filter(evaluation=evaluation).first()
    others = Unit.objects.filter(active=True, track__isnull=False).exclude(
        pk__in=UnitResult.objects.filter(evaluation=evaluation).values("unit_id"))  # fmt: skip
    colours = ["blue", "green", "yellow", "orange", "red"]
    UnitResult.objects.bulk_create([
        UnitResult(evaluation=evaluation, unit=unit, track=unit.track, score=template.score, rank=n % 9 + 1,
                   colour=colours[n % 5], breakdown=template.breakdown, rank_change=(n % 5) - 2)
        for n, unit in enumerate(others)
    ])  # fmt: skip


def test_a_published_map_is_for_everyone_and_a_draft_for_supervisors_and_leaders(world, draft):
    url = f"/map/?evaluation={draft.pk}"
    for who in ("sam", "leo"):
        body = page(world[who], url).content.decode()
        assert "data-draft" in body and f'href="/evaluations/{draft.pk}/units/' in body
    assert page(world["jxw-r"], url).status_code == 404
    assert "还没有发布" in page(world["jxw-r"], "/map/").content.decode()  # nothing published: nothing to show
    assert f'value="{draft.pk}"' in page(world["leo"], "/map/").content.decode()  # a leader opens on the draft
    published(world, draft)
    body = page(world["jxw-r"], "/map/").content.decode()
    assert "data-draft" not in body and f'href="/evaluations/{draft.pk}/units/' in body


def test_a_unit_opens_its_own_breakdown_from_the_map_and_reads_the_others(world, draft):
    every_unit_scored(draft)
    published(world, draft)
    alice = world["jxw-r"]
    jxw = alice.memberships.get().unit
    body = page(alice, "/map/").content.decode()
    assert f'href="/evaluations/{draft.pk}/units/{jxw.pk}/"' in body  # its own breakdown, one click away
    units = rf'/evaluations/{draft.pk}/units/(\d+)/"'
    linked = [*re.findall(rf'<a href="{units} class="region', body),
              *re.findall(rf'class="tile region" href="{units}', body)]
    assert linked == [str(jxw.pk)]
    assert 'data-unit="wanzhou"' in body and "万州区 · 得分" in body  # the others: read, not opened


def test_the_map_colours_every_district_by_its_result_and_puts_the_rest_on_tiles(world, draft):
    boundaries_installed()
    every_unit_scored(draft)
    body = page(world["leo"], f"/map/?evaluation={draft.pk}").content.decode()
    svg = body[body.index("<svg class=\"cq-map\""):body.index("</svg>", body.index("<svg class=\"cq-map\""))]
    districts = Unit.objects.filter(kind__in=Unit.DISTRICT_KINDS, active=True)
    regions = re.findall(r'<a href="[^"]+" class="region[^"]*" data-unit="([a-z-]+)" data-colour="(\w+)"', svg)
    assert {code for code, _colour in regions} == set(districts.values_list("code", flat=True))
    assert len(regions) == 38
    results = dict(UnitResult.objects.filter(evaluation=draft).values_list("unit__code", "colour"))
    assert all(results[code] == colour for code, colour in regions)
    tiles = set(re.findall(r'class="tile region" href="[^"]+" data-unit="([a-z0-9-]+)"', body))
    off_map = set(UnitResult.objects.filter(evaluation=draft).exclude(unit__kind__in=Unit.DISTRICT_KINDS)
                  .values_list("unit__code", flat=True))  # fmt: skip
    assert tiles == off_map and Unit.objects.filter(code__in=tiles, kind="zone").count() == 3
    wanzhou = UnitResult.objects.select_related("unit").get(evaluation=draft, unit__code="wanzhou")
    tip = re.search(r'data-unit="wanzhou" data-colour="\w+" data-tip="([^"]+)"', svg).group(1)
    assert f"万州区 · 得分 {wanzhou.score}" in tip and f"第 {wanzhou.rank} 名" in tip


def test_a_track_dims_the_units_outside_it(world, draft):
    boundaries_installed()
    every_unit_scored(draft)
    body = page(world["leo"], f"/map/?evaluation={draft.pk}&track=northeast").content.decode()
    dim = set(re.findall(r'class="region is-dim" data-unit="([a-z-]+)"', body))
    lit = set(re.findall(r'class="region" data-unit="([a-z-]+)"', body))
    assert lit == set(Unit.objects.filter(track__code="northeast", kind__in=Unit.DISTRICT_KINDS)
                      .values_list("code", flat=True))  # fmt: skip
    assert len(lit) + len(dim) == 38 and lit and dim


def test_without_boundaries_every_unit_is_a_tile(world, draft, settings, tmp_path):
    settings.BOUNDARIES_DIR = tmp_path / "none"
    every_unit_scored(draft)
    body = page(world["leo"], f"/map/?evaluation={draft.pk}").content.decode()
    assert "data-no-boundaries" in body and 'class="cq-map"' not in body
    tiles = re.findall(r'class="tile region"', body)
    assert len(tiles) == UnitResult.objects.filter(evaluation=draft).count()


def test_the_map_and_the_big_screen_read_in_a_constant_number_of_queries(world, draft, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(world["leo"])
    counts = {}
    for url in (f"/map/?evaluation={draft.pk}", f"/map/screen/?evaluation={draft.pk}"):
        with CaptureQueriesContext(connection) as small:
            assert client.get(url).status_code == 200
        counts[url] = len(small.captured_queries)
    every_unit_scored(draft)
    for url, n in counts.items():
        assert n <= 14, url
        with django_assert_num_queries(n):
            assert client.get(url).status_code == 200


def test_the_big_screen_shows_every_track_in_turn(world, draft):
    every_unit_scored(draft)
    body = page(world["leo"], f"/map/screen/?evaluation={draft.pk}").content.decode()
    assert 'class="screen"' in body and "data-screen-cycle" in body
    tracks = re.findall(r'class="screen-track" data-track="([a-z-]*)"', body)
    assert set(tracks) >= {"central", "new-main", "northeast", "southeast", "zones", "departments"}
    assert body.count(' hidden>') >= len(tracks) - 1  # one shown, the rest waiting their turn


def test_the_bulletin_is_for_published_rounds_and_prints_the_ranking(world, draft):
    every_unit_scored(draft)
    assert page(world["leo"], f"/evaluations/{draft.pk}/bulletin/").status_code == 404
    assert page(world["leo"], f"/evaluations/{draft.pk}/bulletin.pdf").status_code == 404
    published(world, draft)
    body = page(world["jxw-r"], f"/evaluations/{draft.pk}/bulletin/").content.decode()
    assert "2025-Q3 赛马比拼晾晒" in body and f"数据截至 {draft.as_of.isoformat()}" in body and "第 1 版" in body
    assert body.count("<tr><td class=\"num\">") == UnitResult.objects.filter(evaluation=draft).count()
    assert "@page" not in body  # the print rules live in the stylesheet (CSP)
    risers = re.search(r"<dt>进步最大</dt><dd>(.*?)</dd>", body).group(1)
    assert "▲" in risers and "<a " not in risers  # the printed headline names units without links
    on_map = re.search(r"<dt>进步最大</dt><dd>(.*?)</dd>", page(world["leo"], "/map/").content.decode()).group(1)
    assert on_map.startswith(f'<a href="/evaluations/{draft.pk}/units/')  # on the map each is a click away


def test_the_bulletin_pdf_carries_the_title_the_stamp_and_every_unit(world, draft):
    every_unit_scored(draft)
    published(world, draft)
    response = page(world["leo"], f"/evaluations/{draft.pk}/bulletin.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "bulletin-" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "赛马比拼晾晒" in text and f"数据截至 {draft.as_of.isoformat()}" in text
    for name in ("万州区", "两江新区", "市经济信息委"):
        assert name in text, name
    assert reader.metadata.title.startswith("2025-Q3")


def test_signing_in_leads_a_leader_to_the_map_and_everyone_else_home(world):
    for who, where in (("leo", "/map/"), ("sam", "/"), ("jxw-r", "/")):
        client = Client()
        world[who].set_password("pw-for-the-landing-test")
        world[who].save()
        credentials = {"username": world[who].username, "password": "pw-for-the-landing-test"}
        response = client.post("/accounts/login/", credentials, follow=True)
        assert response.redirect_chain[-1][0] == where, who


def test_the_boundary_names_are_the_units_register(db):
    """Each of the 38 polygons is one district or county of the register: the same division code, and its name
    one the register knows the unit by (石柱土家族自治县 is 石柱县 for short); 梁平, 武隆 by their 2016 names."""
    boundaries_installed()
    found = {d.adcode: d.name for d in boundaries.districts()}
    units = {unit.adcode: unit for unit in Unit.objects.filter(kind__in=Unit.DISTRICT_KINDS)}
    assert len(found) == 38 and set(found) == set(units)
    for adcode, name in found.items():
        unit = units[adcode]
        assert name in {unit.short_name, unit.name.removeprefix("重庆市"), *unit.aliases}, (adcode, name)
    assert found["500155"] == "梁平区" and found["500156"] == "武隆区"
