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
    # 10 with the navigation's own two (the inbox's counts, the unread notifications) and the session and user.
    assert len(small.captured_queries) <= 10, [q["sql"][:90] for q in small.captured_queries]
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('<tr id="unit-') == 3 + len(others)


def post(user, url: str, data: dict | None = None):
    client = Client()
    client.force_login(user)
    return client.post(url, data or {}, follow=True)


def test_the_whole_round_runs_from_the_pages(world, approved_quarter, django_capture_on_commit_callbacks):
    sam, leo, alice = world["sam"], world["leo"], world["jxw-r"]
    sue = make_user("sue", ("市政府办公厅", "supervisor"))
    jxw = unit_of(alice)
    with time_machine.travel("2025-10-20 09:00 +0800"):
        start = page(sam, "/evaluations/").content.decode()
        assert 'id="evaluation-start-form"' in start and 'value="2025-Q3"' in start
        assert 'id="evaluation-start-form"' not in page(leo, "/evaluations/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            answer = post(sam, "/evaluations/start/", {"plan": world.plan.pk, "period": "2025-Q3"})
        evaluation = Evaluation.objects.get()
        url, unit_url = f"/evaluations/{evaluation.pk}/", f"/evaluations/{evaluation.pk}/units/{jxw}/"
        assert answer.redirect_chain[-1][0] == url and evaluation.status == "adjusting"  # computed on commit
        breakdown = page(sam, unit_url).content.decode()
        assert 'id="adjust-form"' in breakdown and 'id="rate-form"' in breakdown
        assert 'id="adjust-form"' not in page(leo, unit_url).content.decode()
        bad = post(sam, f"{unit_url}adjust/", {"code": "model_case", "count": "1", "evidence": "", "reason": "推广"})
        assert "依据：必填。" in bad.content.decode()
        good = {"code": "model_case", "count": "1", "evidence": "通报第 3 期", "reason": "推广"}
        post(sam, f"{unit_url}adjust/", good)
        post(sam, f"{unit_url}rate/", {"scores": "5，4, 4", "comment": "推进有力"})
        post(sue, f"{unit_url}rate/", {"scores": "4,4,4", "comment": "较好"})
        components = UnitResult.objects.get(evaluation=evaluation, unit_id=jxw).breakdown["components"]
        assert components["F4"] is not None
        assert "经验做法全市推广" in page(sam, unit_url).content.decode()
        # a unit cannot act on the round; a stale form says so and changes nothing
        assert post(alice, f"{url}step/open-appeals/", {"version": evaluation.step_version}).status_code == 404
        stale = post(sam, f"{url}step/open-appeals/", {"version": evaluation.step_version + 5})
        assert "请刷新" in stale.content.decode()
        post(sam, f"{url}step/open-appeals/", {"version": evaluation.step_version})
        evaluation.refresh_from_db()
        assert evaluation.status == "appeals"
        mine = page(alice, unit_url).content.decode()
        assert 'id="appeal-form"' in mine and 'id="adjust-form"' not in mine
        post(alice, f"{unit_url}appeal/", {"category": "data", "reason": "指标数据已更正"})
        appeal = evaluation.appeals.get()
        ranking = page(sam, url).content.decode()
        assert f'id="resolve-{appeal.pk}"' in ranking and "指标数据已更正" in ranking
    with time_machine.travel("2025-10-28 09:00 +0800"):
        post(sam, f"{url}appeals/{appeal.pk}/resolve/", {"upheld": "no", "reply": "符合规则，维持"})
        assert "符合规则，维持" in page(alice, unit_url).content.decode()
        post(sam, f"{url}step/submit/")
        assert 'id="step-approve"' in page(leo, url).content.decode()
        assert 'id="step-approve"' not in page(sam, url).content.decode()
        assert "理由：必填。" in post(leo, f"{url}step/return/", {"reason": ""}).content.decode()
        post(leo, f"{url}step/return/", {"reason": "请核实加分依据"})
        evaluation.refresh_from_db()
        assert evaluation.status == "adjusting" and "请核实加分依据" in page(sam, url).content.decode()
        for who, step in ((sam, "open-appeals"),):
            post(who, f"{url}step/{step}/")
    with time_machine.travel("2025-11-10 09:00 +0800"):
        post(sam, f"{url}step/submit/")
        post(leo, f"{url}step/approve/")
        assert post(leo, f"{url}step/publish/").status_code == 403  # a leader approves; supervisors publish
        post(sam, f"{url}step/publish/")
        evaluation.refresh_from_db()
        assert evaluation.status == "published"
        again = post(sue, f"{url}step/publish/").content.decode()
        assert "不能进行此操作" in again
        assert page(alice, url).status_code == 200


def test_the_stocktake_agenda_lists_red_and_orange_tasks_and_fallen_units_for_supervisors_and_leaders(world, draft):
    from evaluation.models import TaskResult

    published(world, draft)
    first = draft
    with time_machine.travel("2025-12-01 09:00 +0800"):
        second = services.evaluation_start(actor=world["sam"], plan_id=world.plan.pk, period="2025-Q4",
                                           today=date(2026, 1, 20))  # fmt: skip
    services.evaluation_compute(evaluation_id=second.pk)
    task = world.task
    TaskResult.objects.filter(evaluation=first, task=task).update(colour="red")
    TaskResult.objects.filter(evaluation=second, task=task).update(colour="red", reasons=[
        {"code": "milestone_overdue", "values": {"milestone": "开工", "days": 40}}])
    jxw = unit_of(world["jxw-r"])
    UnitResult.objects.filter(evaluation=first, unit_id=jxw).update(colour="green")
    UnitResult.objects.filter(evaluation=second, unit_id=jxw).update(colour="orange")
    body = page(world["leo"], f"/evaluations/{second.pk}/agenda/").content.decode()
    assert f'id="agenda-task-{task.pk}" data-colour="red"' in body and "连续两期红灯" in body
    assert "节点“开工”逾期 40 天" in body and '<dd id="agenda-red-twice">1</dd>' in body
    code = world["jxw-r"].memberships.get().unit.code
    assert f'id="agenda-unit-{code}"' in body
    assert page(world["sam"], f"/evaluations/{second.pk}/agenda/").status_code == 200
    assert page(world["jxw-r"], f"/evaluations/{first.pk}/agenda/").status_code == 403
    assert page(world["jxw-r"], f"/evaluations/{second.pk}/agenda/").status_code == 404  # a draft: out of sight
    assert "/agenda/" not in page(world["jxw-r"], f"/evaluations/{first.pk}/").content.decode()


def test_the_ranking_draws_each_units_scores_over_the_last_rounds(world, draft):
    published(world, draft)
    with time_machine.travel("2025-12-01 09:00 +0800"):
        second = services.evaluation_start(actor=world["sam"], plan_id=world.plan.pk, period="2025-Q4",
                                           today=date(2026, 1, 20))  # fmt: skip
    services.evaluation_compute(evaluation_id=second.pk)
    jxw = unit_of(world["jxw-r"])
    before = UnitResult.objects.get(evaluation=draft, unit_id=jxw).score
    now = UnitResult.objects.get(evaluation=second, unit_id=jxw).score
    body = page(world["leo"], f"/evaluations/{second.pk}/").content.decode()
    assert f"<title>{float(before):g} → {float(now):g}</title>" in body
    assert '<svg class="sparkline"' not in page(world["leo"], f"/evaluations/{draft.pk}/").content.decode()  # one round


def test_the_ranking_sorts_by_a_column_within_each_track_and_ignores_an_unknown_order(world, draft):
    url = f"/evaluations/{draft.pk}/"
    rows = list(UnitResult.objects.filter(evaluation=draft).select_related("unit"))

    def order(**params) -> list[str]:
        body = page(world["leo"], url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""))
        text = body.content.decode()
        return sorted((r.unit.code for r in rows), key=lambda code: text.index(f'id="unit-{code}"'))

    assert order(sort="unit") == sorted(r.unit.code for r in rows)
    by_score = [r.unit.code for r in sorted(rows, key=lambda r: (-r.score, r.unit.code))]
    assert order(sort="score") == by_score
    assert order(sort="nonsense") == order()
    assert 'aria-sort="descending"' in page(world["leo"], url + "?sort=score").content.decode()
