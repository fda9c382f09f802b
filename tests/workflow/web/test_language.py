"""The reporting pages speak Chinese by default and English after the language switch: in English, no Chinese
is left on a page except what people typed (task titles, narratives) and the language switch itself."""

from __future__ import annotations

import re

import pytest
import time_machine

from tests.support import VALID_REPORT, submit_report
from tests.workflow.api.conftest import build_stage
from tests.workflow.conftest import fill_and_sign
from workflow import services

# What the world's people and fixtures typed, in Chinese on purpose: left out of the check.
DATA = ("任务 1.1 的内容", "任务 1.1", "任务 1", "指标 I1", "节点 2025", "测试方案", "fgw 进展", "kjj 进展",
        "【市发展改革委】", "【市科技局】", "中文", "数据口径不对",
        "验收报告", *VALID_REPORT.values())
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _leftover_chinese(html: str) -> list[str]:
    body = html.split("<body", 1)[1].split('<footer class="footer">')[0]  # the footer is the base page's
    body = body.replace('<span class="brand-seal" aria-hidden="true">落</span>', "")  # the logo
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    body = re.sub(r' title="[^"]*"', "", body)  # full Chinese unit names as tooltips (the register's unit links)
    for text in DATA:
        body = body.replace(text, "")
    return sorted(set(CJK.findall(body)))


def _stage_everything(world):
    """One round with every kind of page filled: A's part returned once, the task in review."""
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    submit_report(actor=world["fgw-r"], report_id=part.pk)
    services.report_return(actor=world["fgw-h"], report_id=part.pk, reason="数据口径不对")
    fill_and_sign(world, round_, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "14"}],
                  milestone_claims=[{"milestone": world.milestone.pk, "completed_date": "2025-09-28",
                                      "evidence": "验收报告"}])
    fill_and_sign(world, round_, "kjj")
    submit_report(actor=world["jxw-r"], report_id=world.task_report(round_).pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=world.task_report(round_).pk)
    return round_


PAGES = [
    ("fgw-r", "/inbox/"),
    ("sam", "/inbox/"),
    ("sam", "/reports/{task}/"),
    ("jxw-r", "/reports/{part}/"),
    ("leo", "/reports/{part}/"),
    ("sam", "/rounds/"),
    ("sam", "/rounds/{round}/"),
    ("sam", "/plans/wf/tasks/1.1/"),
]


@time_machine.travel("2025-10-08 10:00 +0800")
@pytest.mark.parametrize(("persona", "path"), PAGES)
def test_pages_are_all_english_after_the_switch(world, page_client, persona, path):
    round_ = _stage_everything(world)
    ids = {"round": round_.pk, "part": world.part(round_, "市发展改革委").pk, "task": world.task_report(round_).pk}
    html = page_client(persona, "en").get(path.format(**ids)).content.decode()
    assert 'lang="en"' in html
    assert _leftover_chinese(html) == [], path


@pytest.mark.parametrize("stage", ["draft", "submitted", "consolidating", "in_review"])
@pytest.mark.parametrize("persona", ["fgw-r", "fgw-h", "jxw-r", "sam"])
def test_the_report_page_has_no_chinese_left_in_english_at_any_step(world, page_client, stage, persona):
    ids = build_stage(world, stage).ids()
    report = ids["task"] if persona in ("jxw-r", "sam") else ids["part"]
    html = page_client(persona, "en").get(f"/reports/{report}/").content.decode()
    assert _leftover_chinese(html) == []


@pytest.mark.parametrize(("language", "words", "absent"), [
    ("zh-hans", ["进展情况", "完成百分比", "佐证材料", "节点", ">提交</button>", "已自动保存 {time}", ">保存</button>"],
     ["Progress", "Submit"]),
    ("en", ["Progress", "Percent complete", "Evidence", "Milestones", ">Submit</button>",
            "Saved automatically at {time}", ">Save</button>"], ["进展情况", "已自动保存"]),
])
def test_the_fill_page_in_each_language(world, page_client, language, words, absent):
    ids = build_stage(world, "draft").ids()
    html = page_client("fgw-r", language).get(f"/reports/{ids['part']}/").content.decode()
    for word in words:
        assert word in html, word
    for word in absent:
        assert word not in html, word
