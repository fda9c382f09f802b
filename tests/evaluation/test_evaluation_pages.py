"""The 赛马比拼 pages: the rounds, a round's ranking with its legend from the round's own rule spec, and a unit's
breakdown one click away — who sees what (drafts: supervisors and leaders; a unit its own breakdown in the appeal
window and once published; everyone the published ranking), and constant query counts."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client

from evaluation import services
from evaluation.models import Evaluation, UnitResult
from tests.conftest import make_user
from units.models import Unit

pytestmark = pytest.mark.django_db

DAY = date(2025, 10, 20)


def page(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def draft(world, approved_quarter) -> Evaluation:
    """2025-Q3's evaluation, computed, with a bonus item for 市经济信息委 (the job runs eagerly on commit)."""
    from django.db import transaction

    with time_machine.travel("2025-10-20 09:00 +0800"), transaction.atomic():
        evaluation = services.evaluation_start(actor=world["sam"], plan_id=world.plan.pk, period="2025-Q3", today=DAY)
    services.evaluation_compute(evaluation_id=evaluation.pk)
    jxw = world["jxw-r"].memberships.get().unit_id
    services.evaluation_adjust(actor=world["sam"], evaluation_id=evaluation.pk, unit_id=jxw, code="model_case",
                               count=1, evidence="市政府办公厅通报第 3 期", reason="经验全市推广")  # fmt: skip
    evaluation.refresh_from_db()
    return evaluation


def in_appeals(world, evaluation: Evaluation) -> Evaluation:
    return services.evaluation_open_appeals(actor=world["sam"], evaluation_id=evaluation.pk, version=None, today=DAY)


def published(world, evaluation: Evaluation) -> Evaluation:
    in_appeals(world, evaluation)
    services.evaluation_submit(actor=world["sam"], evaluation_id=evaluation.pk, version=None, today=date(2025, 11, 1))
    services.evaluation_approve(actor=world["leo"], evaluation_id=evaluation.pk, version=None)
    return services.evaluation_publish(actor=world["sam"], evaluation_id=evaluation.pk, version=None)


def unit_of(user) -> int:
    return user.memberships.get().unit_id


def test_a_draft_is_for_supervisors_and_leaders_only(world, draft):
    url = f"/evaluations/{draft.pk}/"
    for who in ("sam", "leo"):
        response = page(world[who], url)
        assert response.status_code == 200
        assert "草稿" in response.content.decode()
    assert page(world["jxw-r"], url).status_code == 404
    assert page(world["jxw-r"], f"{url}units/{unit_of(world['jxw-r'])}/").status_code == 404
    assert f'href="{url}"' not in page(world["jxw-r"], "/evaluations/").content.decode()
    assert f'href="{url}"' in page(world["leo"], "/evaluations/").content.decode()


def test_in_the_appeal_window_a_unit_is_sent_to_its_own_breakdown_and_no_other(world, draft):
    in_appeals(world, draft)
    alice, jxw, fgw = world["jxw-r"], unit_of(world["jxw-r"]), unit_of(world["fgw-r"])
    body = page(alice, f"/evaluations/{draft.pk}/").content.decode()
    assert f'href="/evaluations/{draft.pk}/units/{jxw}/"' in body and "排名不公开" in body
    assert f"/units/{fgw}/" not in body
    assert page(alice, f"/evaluations/{draft.pk}/units/{jxw}/").status_code == 200
    assert page(alice, f"/evaluations/{draft.pk}/units/{fgw}/").status_code == 404


def test_published_everyone_reads_the_ranking_and_each_unit_its_own_breakdown(world, draft):
    published(world, draft)
    outsider = make_user("olga", ("市科技局", "reporter"))
    body = page(outsider, f"/evaluations/{draft.pk}/").content.decode()
    rows = UnitResult.objects.filter(evaluation=draft).select_related("unit")
    assert all(f'id="unit-{row.unit.code}"' in body for row in rows) and len(rows) == 3
    assert "草稿" not in body and "ranking.xlsx" in body
    jxw = unit_of(world["jxw-r"])
    assert page(world["jxw-r"], f"/evaluations/{draft.pk}/units/{jxw}/").status_code == 200
    assert page(outsider, f"/evaluations/{draft.pk}/units/{jxw}/").status_code == 404


def test_why_a_unit_has_its_colour_is_one_click_from_the_ranking(world, draft):
    jxw = unit_of(world["jxw-r"])
    ranking = page(world["leo"], f"/evaluations/{draft.pk}/").content.decode()
    link = f'href="/evaluations/{draft.pk}/units/{jxw}/"'
    assert link in ranking
    body = page(world["leo"], f"/evaluations/{draft.pk}/units/{jxw}/").content.decode()
    result = UnitResult.objects.get(evaluation=draft, unit_id=jxw)
    assert f'<dd id="unit-score">{result.score}</dd>' in body
    assert f'data-colour="{result.colour}"' in body
    assert "经验做法全市推广" in body and "市政府办公厅通报第 3 期" in body and "由 sam 加入" in body
    assert world.task.code in body  # the task behind F2, linked to its page
    assert f"评价规则 {draft.rule_set.code} v{draft.rule_set.version}" in body


def test_the_legend_is_drawn_from_the_rounds_own_rule_spec(world, draft):
    spec = draft.spec
    for swatch in spec["palette"]:
        if swatch["colour"] == "red":
            swatch["label"], swatch["hex"] = "红旗", "#aa0011"
    Evaluation.objects.filter(pk=draft.pk).update(spec=spec)
    body = page(world["sam"], f"/evaluations/{draft.pk}/").content.decode()
    assert "红旗" in body and 'fill="#aa0011"' in body


def test_the_ranking_page_reads_in_a_constant_number_of_queries(world, draft, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(world["sam"])
    url = f"/evaluations/{draft.pk}/"
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    template = UnitResult.objects.filter(evaluation=draft).first()
    others = Unit.objects.exclude(pk__in=UnitResult.objects.filter(evaluation=draft).values("unit_id"))[:20]
    UnitResult.objects.bulk_create([
        UnitResult(evaluation=draft, unit=unit, track=unit.track, score=template.score, rank=template.rank,
                   colour="green", breakdown=template.breakdown) for unit in others
    ])  # fmt: skip
    assert len(small.captured_queries) <= 8, [q["sql"][:90] for q in small.captured_queries]
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('<tr id="unit-') == 3 + len(others)
