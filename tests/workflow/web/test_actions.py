"""The steps of the loop through the pages' POST forms: each calls one service and maps its answer —
done → the inbox with a message, refused input → the page again with the message (400), not your step →
403, outside your units → 404, already done or stale → the current state with "已被处理或已过期" (409)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.messages import get_messages

from tasks.models import Milestone, Report, ReportAttachment
from tests.support import submit_report, valid_report
from tests.workflow.api.conftest import PDF_BYTES, build_stage, upload
from tests.workflow.conftest import fill_and_sign
from tests.workflow.web.conftest import fill_form
from workflow import services

S = Report.Status
CONFLICT = "已被处理或已过期，请刷新。"


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@time_machine.travel("2025-10-08 10:00 +0800")
def test_submitting_the_fill_form_saves_it_and_sends_it_to_the_head(world, page_client):
    stage = build_stage(world, "draft")
    client = page_client("fgw-r")
    response = client.post(f"/reports/{stage.part.pk}/submit/", fill_form(world, stage.part))
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert _messages(response) == ["已提交，等待单位负责人审签。"]
    part = Report.objects.get(pk=stage.part.pk)
    assert part.status == S.SUBMITTED and part.on_time is True
    assert part.narrative == "本季度完成营收 2.9 万亿元。" and part.percent_complete == 60
    assert part.indicator_claims.get().value == 14.5
    claim = part.milestone_claims.get()
    assert (claim.completed_date, claim.evidence) == (date(2025, 9, 28), "验收报告")

    again = client.post(f"/reports/{stage.part.pk}/submit/", fill_form(world, stage.part))
    assert again.status_code == 409
    html = again.content.decode()
    assert CONFLICT in html and 'id="report-status">待审签<' in html
    assert Report.objects.get(pk=stage.part.pk).version == part.version


def test_a_second_submit_without_a_version_is_a_conflict_too(world, page_client):
    stage = build_stage(world, "draft")
    client = page_client("fgw-r")
    assert client.post(f"/reports/{stage.part.pk}/submit/", valid_report()).status_code == 302
    assert client.post(f"/reports/{stage.part.pk}/submit/", valid_report()).status_code == 409


def test_a_milestone_ticked_without_a_date_is_refused_and_the_typing_is_kept(world, page_client):
    stage = build_stage(world, "draft")
    data = fill_form(world, stage.part, narrative="写了一半的进展", claim="")
    response = page_client("fgw-r").post(f"/reports/{stage.part.pk}/submit/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"请填写节点“{world.milestone.title}”的完成日期。" in html
    assert ">写了一半的进展</textarea>" in html
    assert Report.objects.get(pk=stage.part.pk).status == S.DRAFT
    assert Report.objects.get(pk=stage.part.pk).narrative == ""


def test_a_value_the_service_refuses_comes_back_with_the_indicator_named(world, page_client):
    stage = build_stage(world, "draft")
    response = page_client("fgw-r").post(f"/reports/{stage.part.pk}/save/",
                                         fill_form(world, stage.part, value="十四", claim=None))
    assert response.status_code == 400
    assert f"{world.indicator.name}：不是有效的数字：十四" in response.content.decode()


def test_saving_without_javascript_stays_on_the_page_and_a_stale_version_is_a_conflict(world, page_client):
    stage = build_stage(world, "draft")
    client = page_client("fgw-r")
    response = client.post(f"/reports/{stage.part.pk}/save/", fill_form(world, stage.part, claim=None))
    assert response.status_code == 302 and response["Location"] == f"/reports/{stage.part.pk}/"
    assert _messages(response) == ["已保存。"]
    assert Report.objects.get(pk=stage.part.pk).narrative == "本季度完成营收 2.9 万亿元。"
    stale = client.post(f"/reports/{stage.part.pk}/save/", fill_form(world, stage.part, narrative="旧页面上的修改"))
    assert stale.status_code == 409 and CONFLICT in stale.content.decode()
    assert Report.objects.get(pk=stage.part.pk).narrative == "本季度完成营收 2.9 万亿元。"


def test_the_head_signs_off_and_a_second_click_is_a_conflict(world, page_client):
    stage = build_stage(world, "submitted")
    client = page_client("fgw-h")
    response = client.post(f"/reports/{stage.part.pk}/sign-off/", {"version": stage.part.version})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    assert _messages(response) == ["已审签：市发展改革委 的报告已送牵头单位汇总。"]
    assert Report.objects.get(pk=stage.part.pk).status == S.SIGNED_OFF
    again = client.post(f"/reports/{stage.part.pk}/sign-off/", {"version": stage.part.version})
    assert again.status_code == 409 and CONFLICT in again.content.decode()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_return_without_a_reason_is_refused_with_the_message(world, page_client, reason):
    stage = build_stage(world, "submitted")
    response = page_client("fgw-h").post(f"/reports/{stage.part.pk}/return/",
                                         {"reason": reason, "version": stage.part.version})
    assert response.status_code == 400
    assert "退回理由：退回必须填写理由。" in response.content.decode()
    assert Report.objects.get(pk=stage.part.pk).status == S.SUBMITTED


def test_the_head_returns_with_a_reason_and_the_reporter_sees_it(world, page_client):
    stage = build_stage(world, "submitted")
    response = page_client("fgw-h").post(f"/reports/{stage.part.pk}/return/",
                                         {"reason": "数据口径不对", "version": stage.part.version})
    assert response.status_code == 302
    assert _messages(response) == ["已退回市发展改革委，理由已记录。"]
    part = Report.objects.get(pk=stage.part.pk)
    assert (part.status, part.times_returned, part.last_return_reason) == (S.DRAFT, 1, "数据口径不对")
    html = page_client("fgw-r").get(f"/reports/{part.pk}/").content.decode()
    assert 'id="return-reason"' in html and "数据口径不对" in html and 'id="report-form"' in html


def test_the_lead_unit_returns_one_part_from_the_consolidation_page(world, page_client):
    stage = build_stage(world, "consolidating")
    client = page_client("jxw-r")
    refused = client.post(f"/reports/{stage.part.pk}/return/",
                          {"reason": "", "version": stage.part.version, "page": stage.task.pk})
    assert refused.status_code == 400
    assert "mode-consolidate" in refused.content.decode()  # the page the lead unit was on, again
    done = client.post(f"/reports/{stage.part.pk}/return/",
                       {"reason": "缺少佐证", "version": stage.part.version, "page": stage.task.pk})
    assert done.status_code == 302
    assert Report.objects.get(pk=stage.part.pk).status == S.DRAFT
    assert Report.objects.get(pk=stage.task.pk).status == S.WAITING
    again = client.post(f"/reports/{stage.part.pk}/return/",
                        {"reason": "缺少佐证", "version": stage.part.version, "page": stage.task.pk})
    assert again.status_code == 409


def test_the_lead_unit_submits_the_consolidated_report_to_its_head(world, page_client):
    stage = build_stage(world, "consolidating")
    data = {"version": stage.task.version, "narrative": "汇总：两单位均按期推进。", "percent_complete": "65",
            f"indicator-{world.indicator.pk}-value": "15"}
    response = page_client("jxw-r").post(f"/reports/{stage.task.pk}/submit/", data)
    assert response.status_code == 302
    assert _messages(response) == ["汇总报告已提交，等待本单位负责人审签。"]
    task_report = Report.objects.get(pk=stage.task.pk)
    assert task_report.status == S.LEAD_SIGN_OFF and task_report.narrative == "汇总：两单位均按期推进。"
    assert task_report.indicator_claims.get().value == 15


def test_the_lead_unit_head_signs_off_the_consolidated_report_on_its_page(world, page_client):
    stage = build_stage(world, "consolidating")
    submit_report(actor=world["jxw-r"], report_id=stage.task.pk)
    head = page_client("jxw-h")
    page = head.get(f"/reports/{stage.task.pk}/").content.decode()
    assert "mode-lead_sign_off" in page and 'id="sign-off"' in page and 'id="return-form"' in page
    assert "mode-read" in page_client("jxw-r").get(f"/reports/{stage.task.pk}/").content.decode()
    version = Report.objects.get(pk=stage.task.pk).version
    response = head.post(f"/reports/{stage.task.pk}/sign-off/", {"version": version})
    assert response.status_code == 302 and _messages(response) == ["已审签：汇总报告已送督查审核。"]
    assert Report.objects.get(pk=stage.task.pk).status == S.IN_REVIEW


def test_a_plan_without_the_lead_head_step_sends_consolidation_straight_to_review(world, page_client):
    world.plan.lead_sign_off = False
    world.plan.save(update_fields=["lead_sign_off"])
    stage = build_stage(world, "consolidating")
    assert "提交审核" in page_client("jxw-r").get(f"/reports/{stage.task.pk}/").content.decode()
    response = page_client("jxw-r").post(f"/reports/{stage.task.pk}/submit/", {"version": stage.task.version})
    assert _messages(response) == ["汇总报告已提交审核。"]
    assert Report.objects.get(pk=stage.task.pk).status == S.IN_REVIEW


def test_the_supervisor_must_choose_the_part_to_return_one_unit(world, page_client):
    stage = build_stage(world, "in_review")
    client = page_client("sam")
    no_part = client.post(f"/reports/{stage.task.pk}/return/",
                          {"reason": "发改委数据有误", "target": "part", "part": "", "version": stage.task.version})
    assert no_part.status_code == 400 and "退回单位：请选择要退回的单位。" in no_part.content.decode()
    assert Report.objects.get(pk=stage.task.pk).status == S.IN_REVIEW
    done = client.post(f"/reports/{stage.task.pk}/return/", {
        "reason": "发改委数据有误", "target": "part", "part": stage.part.pk, "version": stage.task.version})
    assert done.status_code == 302
    assert _messages(done) == ["已退回市发展改革委，理由已记录。"]
    assert Report.objects.get(pk=stage.part.pk).status == S.DRAFT


def test_the_supervisor_returns_to_the_lead_unit(world, page_client):
    stage = build_stage(world, "in_review")
    response = page_client("sam").post(f"/reports/{stage.task.pk}/return/",
                                       {"reason": "汇总不完整", "target": "lead", "version": stage.task.version})
    assert response.status_code == 302
    task_report = Report.objects.get(pk=stage.task.pk)
    assert (task_report.status, task_report.last_return_reason) == (S.CONSOLIDATING, "汇总不完整")


@time_machine.travel("2025-10-08 10:00 +0800")
def test_the_supervisor_approves_and_the_claimed_milestone_is_done(world, page_client):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw", milestone_claims=[{"milestone": world.milestone.pk,
                                                            "completed_date": "2025-09-28"}])
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    submit_report(actor=world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    task_report.refresh_from_db()
    client = page_client("sam")
    response = client.post(f"/reports/{task_report.pk}/approve/", {"version": task_report.version})
    assert response.status_code == 302
    assert _messages(response) == ["审核通过：1.1 的节点和指标值已生效。"]
    assert Milestone.objects.get(pk=world.milestone.pk).status == Milestone.Status.DONE
    again = client.post(f"/reports/{task_report.pk}/approve/", {"version": task_report.version})
    assert again.status_code == 409 and CONFLICT in again.content.decode()


# (stage, report, persona, path) → 403: the report is visible, but this is not the persona's step
NOT_YOUR_STEP = [
    ("draft", "part", "fgw-h", "submit"),
    ("submitted", "part", "fgw-r", "sign-off"),
    ("in_review", "task", "leo", "approve"),
    ("in_review", "task", "jxw-r", "approve"),
    ("consolidating", "task", "sam", "submit"),
]


@pytest.mark.parametrize(("stage", "which", "persona", "action"), NOT_YOUR_STEP)
def test_an_action_that_is_not_yours_is_forbidden(world, page_client, stage, which, persona, action):
    ids = build_stage(world, stage).ids()
    response = page_client(persona).post(f"/reports/{ids[which]}/{action}/")
    assert response.status_code == 403
    assert "你无权执行此步骤。" in response.content.decode()


@pytest.mark.parametrize("action", ["save", "submit", "sign-off", "return", "approve", "attach"])
def test_an_action_outside_your_units_is_not_found(world, page_client, action):
    stage = build_stage(world, "submitted")
    response = page_client("kjj-r").post(f"/reports/{stage.part.pk}/{action}/", {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["save", "submit", "sign-off", "return", "approve", "attach"])
def test_actions_are_posts_only(world, page_client, action):
    stage = build_stage(world, "draft")
    assert page_client("fgw-r").get(f"/reports/{stage.part.pk}/{action}/").status_code == 405


def test_uploading_without_javascript_attaches_the_file_or_shows_the_servers_refusal(world, page_client,
                                                                                       media_root):
    stage = build_stage(world, "draft")
    client = page_client("fgw-r")
    done = client.post(f"/reports/{stage.part.pk}/attach/",
                       {"file": upload("验收报告.pdf", PDF_BYTES), "milestone": world.milestone.pk})
    assert done.status_code == 302 and done["Location"] == f"/reports/{stage.part.pk}/"
    attachment = ReportAttachment.objects.get(report=stage.part)
    assert (attachment.original_name, attachment.milestone_id) == ("验收报告.pdf", world.milestone.pk)
    html = client.get(f"/reports/{stage.part.pk}/").content.decode()
    claim = html.split(f'id="claim-{world.milestone.code}"')[1].split("</li>\n")[0]
    assert "验收报告.pdf" in claim  # evidence shown beside its milestone

    refused = client.post(f"/reports/{stage.part.pk}/attach/", {"file": upload("脚本.pdf", b"<script>1</script>")})
    assert refused.status_code == 400
    assert "文件：不支持的文件类型（按内容识别）" in refused.content.decode()
    nothing = client.post(f"/reports/{stage.part.pk}/attach/", {})
    assert nothing.status_code == 400 and "请选择要上传的文件。" in nothing.content.decode()
