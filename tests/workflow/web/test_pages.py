"""Who may open which page of the reporting loop, and which page of a report each persona gets."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client, RequestFactory

from tests.conftest import make_user
from tests.factories import make_plan
from tests.support import submit_report
from tests.workflow.api.conftest import build_stage
from workflow import services

PERSONAS = ("fgw-r", "fgw-h", "kjj-r", "jxw-r", "sam", "leo")

# page → expected status per persona, in PERSONAS order. Outside one's units is 404 (never say it exists);
# the round pages are for supervisors and leaders (403 for the others).
EXPECTED = {
    "inbox":                 (200, 200, 200, 200, 200, 200),
    "A's part":              (200, 200, 404, 200, 200, 200),
    "task report":           (404, 404, 404, 200, 200, 200),
    "rounds":                (403, 403, 403, 403, 200, 200),
    "round":                 (403, 403, 403, 403, 200, 200),
}


def _path(page: str, ids: dict) -> str:
    return {
        "inbox": "/inbox/", "A's part": "/reports/{part}/", "task report": "/reports/{task}/", "rounds": "/rounds/",
        "round": "/rounds/{round}/",
    }[page].format(**ids)


@pytest.mark.parametrize(
    ("page", "persona", "expected"),
    [(page, persona, codes[n]) for page, codes in EXPECTED.items() for n, persona in enumerate(PERSONAS)],
)
def test_each_persona_gets_its_status_code(world, page_client, page, persona, expected):
    ids = build_stage(world, "submitted").ids()
    response = page_client(persona).get(_path(page, ids))
    assert response.status_code == expected


@pytest.mark.parametrize("page", list(EXPECTED))
def test_anonymous_visitors_are_sent_to_the_login_page(world, page, client):
    ids = build_stage(world, "draft").ids()
    response = client.get(_path(page, ids))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_unknown_reports_and_rounds_are_not_found(world, page_client):
    build_stage(world, "draft")
    assert page_client("sam").get("/reports/999999/").status_code == 404
    assert page_client("sam").get("/rounds/999999/").status_code == 404


def test_a_round_of_a_draft_plan_is_not_found_for_leaders(world, page_client):
    from tasks.models import Plan

    draft = make_plan("draft-wf", status=Plan.Status.DRAFT)
    round_ = draft.rounds.create(period="2025-Q3", period_start=date(2025, 7, 1), period_end=date(2025, 9, 30),
                                 due_date=date(2025, 10, 10), opened_by=world["sam"])
    assert page_client("leo").get(f"/rounds/{round_.pk}/").status_code == 404
    assert page_client("sam").get(f"/rounds/{round_.pk}/").status_code == 200


# (stage, report, persona) → the page's marker: the step the persona may act on, or read-only
MODES = [
    ("draft", "part", "fgw-r", 'id="report-form"'),
    ("draft", "part", "fgw-h", "mode-read"),
    ("draft", "part", "jxw-r", "mode-read"),
    ("submitted", "part", "fgw-h", 'id="sign-off"'),
    ("submitted", "part", "fgw-r", "mode-read"),
    ("consolidating", "task", "jxw-r", "mode-consolidate"),
    ("consolidating", "task", "jxw-h", "mode-consolidate"),
    ("consolidating", "part", "jxw-r", 'id="return-form"'),  # the lead unit may return a signed-off part
    ("consolidating", "task", "sam", "mode-read"),
    ("in_review", "task", "sam", 'id="approve"'),
    ("in_review", "task", "leo", "mode-read"),
    ("in_review", "task", "jxw-r", "mode-read"),
]


@pytest.mark.parametrize(("stage", "which", "persona", "marker"), MODES)
def test_the_report_page_adapts_to_the_step_and_the_persona(world, page_client, stage, which, persona, marker):
    ids = build_stage(world, stage).ids()
    html = page_client(persona).get(f"/reports/{ids[which]}/").content.decode()
    assert marker in html
    editable = 'id="report-form"' in html
    assert editable is (marker == 'id="report-form"' or marker == "mode-consolidate")


def test_the_fill_page_shows_context_last_period_and_the_autosave_endpoints(world, page_client):
    from tests.workflow.conftest import fill_and_sign

    first = world.open_round("2025-Q2", date(2025, 7, 10))
    fill_and_sign(world, first, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "12.5"}])
    fill_and_sign(world, first, "kjj")
    task_report = world.task_report(first)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    second = world.open_round("2025-Q3")
    part = world.part(second, "市发展改革委")
    html = page_client("fgw-r").get(f"/reports/{part.pk}/").content.decode()
    row = html.split(f'data-indicator="{world.indicator.pk}"')[1].split("</li>")[0]
    assert "基期 2022 年 10 → 2027 年目标 20" in row
    assert '<span class="value-number">12.5</span>' in row  # last period's approved value, beside the new one
    assert f'name="indicator-{world.indicator.pk}-value" value="12.5"' in row  # carried over, to be edited
    assert f'data-api="/api/reports/{part.pk}/"' in html
    assert f'data-upload-api="/api/reports/{part.pk}/attachments/"' in html
    assert f'data-version="{part.version}"' in html
    assert "js/report.js" in html
    assert "上期（2025-Q2）已通过" in html


def test_the_sign_off_page_shows_what_changed_since_last_period(world, page_client):
    from tests.workflow.conftest import fill_and_sign

    first = world.open_round("2025-Q2", date(2025, 7, 10))
    fill_and_sign(world, first, "fgw", narrative="完成立项。开展调研。",
                  indicator_values=[{"indicator": world.indicator.pk, "value": "12"}], percent_complete="40")
    fill_and_sign(world, first, "kjj")
    submit_report(actor=world["jxw-r"], report_id=world.task_report(first).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(first).pk)
    services.report_approve(actor=world["sam"], report_id=world.task_report(first).pk)
    second = world.open_round("2025-Q3")
    part = world.part(second, "市发展改革委")
    services.report_update(actor=world["fgw-r"], report_id=part.pk, content=services.report_content({
        "narrative": "完成立项。建成示范线。", "percent_complete": "70",
        "indicator_values": [{"indicator": world.indicator.pk, "value": "14.5"}],
        "milestone_claims": [{"milestone": world.milestone.pk, "completed_date": "2025-09-28",
                              "evidence": "验收报告"}],
    }))
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    html = page_client("fgw-h").get(f"/reports/{part.pk}/").content.decode()
    changes = html.split('id="changes"')[1].split("</section>")[0]
    assert "新增 1 句，删除 1 句" in changes
    assert "<ins>建成示范线。</ins>" in changes and "<del>开展调研。</del>" in changes
    assert '<span class="old">40%</span> → <strong>70%</strong>' in changes
    assert '<span class="old">12</span> → <strong>14.5</strong>' in changes and "(+2.5)" in changes
    assert "本期新申报完成的节点" in changes and world.milestone.title in changes


def test_a_read_only_report_shows_status_returns_reason_and_revisions(world, page_client):
    stage = build_stage(world, "submitted")
    services.report_return(actor=world["fgw-h"], report_id=stage.part.pk, reason="数据口径不对")
    html = page_client("leo").get(f"/reports/{stage.part.pk}/").content.decode()
    assert "mode-read" in html and 'id="report-form"' not in html
    assert 'id="report-status">已退回<' in html
    assert "退回 1 次" in html and "数据口径不对" in html
    revisions = html.split('id="revisions"')[1].split("</details>")[0]
    assert "v3" in revisions and "退回" in revisions and "v2" in revisions and "提交" in revisions


def test_the_consolidation_page_lists_every_part_with_a_return_button(world, page_client):
    stage = build_stage(world, "consolidating")
    html = page_client("jxw-r").get(f"/reports/{stage.task.pk}/").content.decode()
    assert 'id="return-part-fgw"' in html and 'id="return-part-kjj"' in html
    assert html.count('class="card part-report"') == 2
    assert "fgw 进展" in html and "kjj 进展" in html
    # the consolidated report starts pre-filled from the parts
    assert "【市发展改革委】fgw 进展" in html.split('id="narrative"')[1].split("</textarea>")[0]


def test_the_review_page_offers_approve_return_to_lead_and_return_one_part(world, page_client):
    stage = build_stage(world, "in_review")
    html = page_client("sam").get(f"/reports/{stage.task.pk}/").content.decode()
    assert 'id="approve"' in html and 'id="return-lead-form"' in html and 'id="return-part-form"' in html
    select = html.split('id="return-part-form"')[1].split("</select>")[0]
    assert f'value="{stage.part.pk}"' in select
    assert 'id="changes"' in html  # what changed since last period


def test_viewflows_node_view_slot_redirects_to_the_inbox(world, page_client):
    from workflow.nodes import step_page

    request = RequestFactory().get("/x/")
    response = step_page(request)
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert page_client("fgw-r").get("/inbox/").status_code == 200  # no redirect loop any more


def test_a_user_without_any_unit_gets_an_empty_inbox_and_no_rounds(world):
    nobody = make_user("nobody")
    client = Client()
    client.force_login(nobody)
    build_stage(world, "draft")
    assert "都处理完了" in client.get("/inbox/").content.decode()
    assert client.get("/rounds/").status_code == 403
    header = client.get("/inbox/").content.decode().split("</header>")[0]
    assert 'href="/rounds/"' not in header


def test_supervisors_and_leaders_see_the_rounds_link(world, page_client, oscar):
    build_stage(world, "draft")
    for persona, shown in (("sam", True), ("leo", True), ("fgw-r", False)):
        header = page_client(persona).get("/inbox/").content.decode().split("</header>")[0]
        assert ('href="/rounds/"' in header) is shown, persona
    client = Client()
    client.force_login(oscar)
    assert 'href="/rounds/"' not in client.get("/").content.decode().split("</header>")[0]


def test_the_lead_unit_sees_who_is_holding_its_task_up_and_for_how_long(world, page_client):
    """Issue 7, item 15: while parts are unfiled, the lead unit's report lists each with its state and wait."""
    import time_machine

    from tests.workflow.conftest import fill_and_sign

    with time_machine.travel("2025-10-01 09:00 +0800", tick=False):
        round_ = world.open_round()
    with time_machine.travel("2025-10-04 10:00 +0800", tick=False):
        fill_and_sign(world, round_, "fgw")
        submit_report(actor=world["kjj-r"], report_id=world.part(round_, "市科技局").pk)
    with time_machine.travel("2025-10-09 10:00 +0800", tick=False):
        html = page_client("jxw-r").get(f"/reports/{world.task_report(round_).pk}/").content.decode()
    assert "还差 1 个单位" in html and "只读" not in html
    kjj = html.split('data-unit="kjj"')[1].split("</summary>")[0]
    assert "待审签" in kjj and 'data-waited="5"' in kjj and "已等待 5 天" in kjj
    fgw = html.split('data-unit="fgw"')[1].split("</summary>")[0]
    assert "已审签" in fgw and "已等待" not in fgw
