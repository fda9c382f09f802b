"""A whole reporting round in a real browser (Debian's chromium through Playwright) against a live server.

The supervisor opens the round in the UI; unit A's reporter fills its part (narrative, a value, a milestone
with a date, a PDF) and submits; A's head signs off; unit B does the same; the lead unit returns A's part with
a reason; A's reporter finds it in the inbox with the reason, fixes it and resubmits; the head signs off again;
the lead unit submits to review; the supervisor approves; the task page then shows the milestone done and the
return, with its reason, on the timeline. Each person has a browser context of their own and signs in through
the login page. Autosave is checked on the way: type, wait for "已自动保存", reload, the text is still there.

Run with ``pytest -m browser``. Without /usr/bin/chromium the tests skip, except on CI (``CI=true``), where a
missing browser is a failure. ``LUOSHI_SCREENSHOT=1`` also writes docs/screenshot-report.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tasks.models import Milestone, Plan, PlanTask, Report, ReportAttachment
from tests.conftest import make_persona, make_user
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from tests.support import CHROMIUM, CHROMIUM_ARGS, require_chromium, submit_report
from tests.workflow.api.conftest import PDF_BYTES
from tests.workflow.conftest import PEOPLE
from units.models import Membership
from units.services import units_load

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
R, H = Membership.Role.REPORTER, Membership.Role.HEAD


@dataclass
class Loop:
    plan: Plan
    task: PlanTask
    milestone: Milestone
    users: dict[str, User]
    today: date


@pytest.fixture
def loop(transactional_db: None, settings: Any, tmp_path: Path) -> Loop:
    """Transactional tests start from flushed tables: load the units and build a one-task plan in real time
    (a real browser drops cookies that expire before its own clock). Uploads go to a temporary MEDIA_ROOT."""
    require_chromium()
    settings.MEDIA_ROOT = tmp_path / "media"
    units_load()
    users = {"sam": make_persona("sam", first_name="王督查")}
    users.update({key: make_persona(PEOPLE[key]) for key in ("fgw-r", "fgw-h", "kjj-r", "kjj-h", "jxw-r", "jxw-h")})
    today = timezone.localdate()
    plan = make_plan("wf", title="制造业高质量发展行动方案")
    parent = make_task(plan, "1", lead=None, title="发展目标")
    task = make_task(plan, "1.1", parent=parent, title="规模能级", responsible=("市发展改革委", "市科技局"))
    make_indicator(task, "I1", name="规模以上工业企业营业收入", unit_of_measure="万亿元", baseline_value="2.8",
                   target_value="4")
    milestone = make_milestone(task, "m1", today - timedelta(days=3), title="营收突破 2.9 万亿元")
    return Loop(plan=plan, task=task, milestone=milestone, users=users, today=today)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium. Django refuses database calls while Playwright's loop runs in this thread, so the
    database is read only after this block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


PHONE = {"width": 390, "height": 844}


def _fits_a_phone(page: Any, url: str) -> bool:
    """The page at 390 px: no horizontal scroll. The viewport goes back to the desktop size afterwards."""
    page.set_viewport_size(PHONE)
    page.goto(url)
    fits = page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url)
    return fits


class Person:
    """One user's own browser context, signed in through the login page."""

    def __init__(self, browser: Any, base: str, username: str) -> None:
        self.base = base
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", f"pw-{username}")
        self.page.click("form.stack button[type=submit]")
        self.page.wait_for_url(f"{base}/")

    def open_from_inbox(self, step: str) -> str:
        """Open the first inbox item of a step; returns the report page's URL."""
        self.page.goto(f"{self.base}/inbox/")
        self.page.click(f'.inbox-item[data-step="{step}"] .inbox-go')
        self.page.wait_for_url(re.compile(r"/reports/\d+/$"))
        return self.page.url

    def done(self, message: str) -> None:
        """After an action: back in the inbox with the success message."""
        self.page.wait_for_url(f"{self.base}/inbox/")
        assert message in self.page.locator(".messages").inner_text()


def test_a_whole_round_from_opening_to_approval_in_the_browser(loop, live_server):
    with chromium() as browser:
        _whole_round(loop, live_server.url, browser)

    # Outside the browser: what the round left in the database.
    part = Report.objects.get(kind="part", unit__short_name="市发展改革委")
    assert (part.status, part.times_returned, part.on_time) == (Report.Status.APPROVED, 1, True)
    assert sorted(ReportAttachment.objects.filter(report=part).values_list("original_name", flat=True)) == [
        "现场照片.pdf", "营收快报.pdf"]
    milestone = Milestone.objects.get(pk=loop.milestone.pk)
    assert (milestone.status, milestone.completed_date) == (Milestone.Status.DONE, loop.today - timedelta(days=1))

def _whole_round(loop: Loop, base: str, browser: Any) -> None:
    period = f"{loop.today.year}-Q{(loop.today.month - 1) // 3 + 1}"

    # The supervisor opens the round in the UI and lands on its page.
    sam = Person(browser, base, loop.users["sam"].username)
    sam.page.goto(f"{base}/rounds/")
    sam.page.fill("#id_period", period)
    sam.page.fill("#id_due_date", (loop.today + timedelta(days=10)).isoformat())
    sam.page.click("#round-open-form button[type=submit]")
    sam.page.wait_for_url(re.compile(r"/rounds/\d+/$"))
    round_url = sam.page.url
    sam.page.locator("#round-status", has_text="进行中").wait_for()  # the job ran; the page refreshed if needed
    assert "市发展改革委" in sam.page.locator(".round-units").inner_text()

    # Unit A's reporter: autosave first — type, wait for the save, reload, the text is still there.
    fgw_r = Person(browser, base, loop.users["fgw-r"].username)
    assert fgw_r.page.locator(".nav-inbox .count").inner_text() == "1"
    part_url = fgw_r.open_from_inbox("fill")
    page = fgw_r.page
    page.fill("#narrative", "本季度规上工业营收 2.9 万亿元。")
    page.locator("#autosave-status", has_text="已自动保存").wait_for()
    page.goto(part_url)
    assert page.input_value("#narrative") == "本季度规上工业营收 2.9 万亿元。"
    assert page.locator("#report-version").inner_text() == "v2"
    assert _fits_a_phone(page, part_url)
    # The sticky save bar hides the form it floats over: it is opaque.
    assert page.evaluate("getComputedStyle(document.querySelector('.form-actions')).backgroundColor") == (
        "rgb(255, 255, 255)")

    # Someone changes the report in another window: this window's next autosave is refused (409) and says so.
    other = fgw_r.context.new_page()
    other.goto(part_url)
    other.fill("#narrative", "另一个窗口写的进展。")
    other.locator("#autosave-status", has_text="已自动保存").wait_for()
    other.close()
    page.fill("#narrative", "这个窗口写的进展。")
    page.locator("#autosave-conflict").wait_for()
    assert page.locator("#autosave-status").get_attribute("data-state") == "conflict"
    page.click("#autosave-conflict [data-reload]")
    page.wait_for_load_state()
    assert page.input_value("#narrative") == "另一个窗口写的进展。"
    page.fill("#narrative", "本季度规上工业营收 2.9 万亿元。")

    # … then the percent, a value, the milestone with a date and evidence, a PDF beside it, and submit.
    page.fill("#percent_complete", "60")
    page.fill(".indicator-row [data-field=value]", "2.9")
    claim = page.locator(f'.claim[data-milestone="{loop.milestone.pk}"]')
    claim.locator("[data-field=done]").check()
    assert claim.locator("[data-field=date]").input_value() == loop.today.isoformat()  # today, pre-filled
    claim.locator("[data-field=date]").fill((loop.today - timedelta(days=1)).isoformat())
    claim.locator("[data-field=evidence]").fill("市统计局快报")
    claim.locator("input[type=file][data-upload]").set_input_files(
        files=[{"name": "营收快报.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    claim.locator(".file a", has_text="营收快报.pdf").wait_for()
    page.set_input_files("input[type=file][name=file]", files=[
        {"name": "现场照片.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.locator('[data-file-list="general"] .file a', has_text="现场照片.pdf").wait_for()
    page.set_input_files("input[type=file][name=file]", files=[
        {"name": "假的.pdf", "mimeType": "application/pdf", "buffer": b"<html>not a pdf</html>"}])
    page.locator('[data-upload-status="general"].is-error', has_text="不支持的文件类型").wait_for()  # the 400's words
    page.click("#submit-report")
    fgw_r.done("已提交，等待单位负责人审签。")

    # A's head sees what changed and signs off.
    fgw_h = Person(browser, base, loop.users["fgw-h"].username)
    fgw_h.open_from_inbox("sign_off")
    assert "营收突破 2.9 万亿元" in fgw_h.page.locator("#changes").inner_text()
    fgw_h.page.click("#sign-off")
    fgw_h.done("已审签")

    # Unit B, faster.
    kjj_r = Person(browser, base, loop.users["kjj-r"].username)
    kjj_r.open_from_inbox("fill")
    kjj_r.page.fill("#narrative", "科技局：完成创新平台布局。")
    kjj_r.page.fill("#percent_complete", "50")
    kjj_r.page.click("#submit-report")
    kjj_r.done("已提交")
    kjj_h = Person(browser, base, loop.users["kjj-h"].username)
    kjj_h.open_from_inbox("sign_off")
    kjj_h.page.click("#sign-off")
    kjj_h.done("已审签")

    # The lead unit consolidates and returns A's part with a reason.
    jxw_r = Person(browser, base, loop.users["jxw-r"].username)
    jxw_r.open_from_inbox("consolidate")
    assert "营收快报.pdf" in jxw_r.page.locator(".part-report[data-unit=fgw]").inner_text()
    box = jxw_r.page.locator("#return-part-fgw-box")
    box.locator("summary").click()
    box.locator("textarea[name=reason]").fill("请补充营收快报的口径说明")
    box.locator("button[type=submit]").click()
    jxw_r.done("已退回市发展改革委")

    # A's reporter finds it in the inbox with the reason, fixes and resubmits.
    fgw_r.page.goto(f"{base}/inbox/")
    item = fgw_r.page.locator('.inbox-item[data-step="fill"]')
    assert "请补充营收快报的口径说明" in item.inner_text() and "退回 1 次" in item.inner_text()
    fgw_r.open_from_inbox("fill")
    assert "请补充营收快报的口径说明" in fgw_r.page.locator("#return-reason").inner_text()
    fgw_r.page.fill("#narrative", "本季度规上工业营收 2.9 万亿元（统计快报口径）。")
    fgw_r.page.click("#submit-report")
    fgw_r.done("已提交")
    fgw_h.open_from_inbox("sign_off")
    fgw_h.page.click("#sign-off")
    fgw_h.done("已审签")

    # The lead unit consolidates, its head signs the task report off, and the supervisor approves.
    jxw_r.open_from_inbox("consolidate")
    assert "统计快报口径" in jxw_r.page.locator(".part-report[data-unit=fgw]").inner_text()
    jxw_r.page.click("#submit-report")
    jxw_r.done("汇总报告已提交，等待本单位负责人审签。")
    jxw_h = Person(browser, base, loop.users["jxw-h"].username)
    jxw_h.open_from_inbox("lead_sign_off")
    jxw_h.page.click("#sign-off")
    jxw_h.done("已审签：汇总报告已送督查审核。")
    sam.open_from_inbox("review")
    sam.page.click("#approve")
    sam.done("审核通过")

    # The task page: the milestone is done, and the timeline shows the return with its reason.
    sam.page.goto(f"{base}/plans/wf/tasks/1.1/")
    assert "已完成" in sam.page.locator(f"#milestone-{loop.milestone.code}").inner_text()
    returned = sam.page.locator('.audit-item[data-action="report.return_by_lead"]')
    assert "牵头单位退回" in returned.inner_text() and "请补充营收快报的口径说明" in returned.inner_text()
    assert sam.page.locator("#reports .chip", has_text="已通过").count() == 3
    report_url = base + sam.page.locator("#reports a").first.get_attribute("href")
    for url in (f"{base}/inbox/", f"{base}/rounds/", f"{base}/plans/wf/tasks/1.1/", round_url, report_url):
        assert _fits_a_phone(sam.page, url), url

    # The round page on a phone: each unit a compact card, the sort and the unit filter in a form.
    sam.page.set_viewport_size(PHONE)
    sam.page.goto(round_url)
    assert not sam.page.locator(".round-units thead").is_visible()
    heights = sam.page.locator(".round-units tbody tr").evaluate_all("rows => rows.map(r => r.offsetHeight)")
    assert len(heights) == 3 and max(heights) <= 120, heights  # the two units with parts, and the lead unit
    sam.page.fill("#round-unit-filter input[name=q]", "科技")
    sam.page.select_option("#round-unit-filter select[name=sort]", "approved")
    sam.page.click("#round-unit-filter button[type=submit]")
    sam.page.wait_for_url(re.compile(r"q=%E7%A7%91%E6%8A%80"))
    assert sam.page.locator(".round-units tbody tr").evaluate_all("rows => rows.map(r => r.id)") == ["unit-kjj"]
    assert sam.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for person in (sam, fgw_r, fgw_h, kjj_r, kjj_h, jxw_r, jxw_h):
        person.context.close()


# --- the README image -----------------------------------------------------------------------------------------

@pytest.fixture
def report_session(transactional_db: None, settings: Any, tmp_path: Path, time_machine: Any) -> tuple[str, int]:
    """Task 1.1 of the Chongqing plan (its text, indicators and milestones), round 2025-Q2 approved and 2025-Q3
    half filled by 市发展改革委's reporter on 2025-10-09; returns the reporter's session cookie and the part.

    The database work happens here, before the browser starts (see ``chromium``)."""
    from zoneinfo import ZoneInfo

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from workflow import services

    require_chromium()
    settings.MEDIA_ROOT = tmp_path / "media"
    time_machine.move_to(datetime(2025, 10, 9, 9, 40, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
    units_load()
    sam = make_user("supervisor", ("市政府办公厅", Membership.Role.SUPERVISOR), first_name="王督查")
    people = {}
    for key, short_name, name in (("fgw", "市发展改革委", "李明"), ("tjj", "市统计局", "陈静"),
                                  ("jxw", "市经济信息委", "赵磊")):
        people[key] = (make_user(f"{key}-r", (short_name, R), first_name=name),
                       make_user(f"{key}-h", (short_name, H), first_name=f"{name[0]}处长"))
    plan = make_plan("cq-manufacturing-2023-2027",
                     title="深入推进新时代新征程新重庆制造业高质量发展行动方案（2023—2027年）")
    part_1 = make_task(plan, "1", title="发展目标", kind=PlanTask.Kind.INDICATOR)
    task = make_task(
        plan, "1.1", parent=part_1, title="规模能级实现新突破", kind=PlanTask.Kind.INDICATOR,
        importance=PlanTask.Importance.MAJOR, responsible=("市发展改革委", "市统计局"),
        text="规模以上工业企业营业收入迈上4万亿元台阶，制造业增加值占地区生产总值的比重提高至28%，"
             "数字经济增加值占地区生产总值的比重超过50%。",
    )
    revenue = make_indicator(task, "I01", name="规模以上工业企业营业收入", unit_of_measure="万亿元",
                             baseline_value="2.8", target_value="4", interim={2024: "3.28", 2025: "3.52"})
    share = make_indicator(task, "I02", name="制造业增加值占地区生产总值的比重", unit_of_measure="%",
                           baseline_value="24.6", target_value="28", interim={2024: "26", 2025: "26.6"})
    digital = make_indicator(task, "I03", name="数字经济增加值占地区生产总值的比重", unit_of_measure="%",
                             baseline_value="41", target_value="50", interim={2025: "46.4"})
    make_milestone(task, "2024", date(2024, 12, 31), "20", title="规模能级指标达到2024年序时目标",
                   status=Milestone.Status.DONE, completed_date=date(2024, 12, 20))
    q3 = make_milestone(task, "2025q3", date(2025, 9, 30), "10", title="前三季度营收突破 2.6 万亿元")
    make_milestone(task, "2025", date(2025, 12, 31), "25", title="规模能级指标达到2025年序时目标")

    def values(*pairs: tuple[Any, str]) -> list[dict]:
        return [{"indicator": indicator.pk, "value": value} for indicator, value in pairs]

    first, _ = services.round_open(actor=sam, plan=plan, period="2025-Q2", due_date=date(2025, 7, 10))
    services.round_open_run(round_id=first.pk)
    for key, data in (("fgw", {"narrative": "上半年规上工业营收 1.6 万亿元，同比增长 6.8%。", "percent_complete": "45",
                               "indicator_values": values((revenue, "3.21"), (share, "25.9"), (digital, "44.1"))}),
                      ("tjj", {"narrative": "完成上半年工业统计快报。", "percent_complete": "45"})):
        reporter, head = people[key]
        part = Report.objects.get(round=first, unit=reporter.memberships.get().unit, kind="part")
        services.report_update(actor=reporter, report_id=part.pk, content=services.report_content(data))
        submit_report(actor=reporter, report_id=part.pk)
        services.report_sign_off(actor=head, report_id=part.pk)
    task_report = Report.objects.get(round=first, kind="task")
    submit_report(actor=people["jxw"][0], report_id=task_report.pk)
    services.report_sign_off(actor=people["jxw"][1], report_id=task_report.pk)
    services.report_approve(actor=sam, report_id=task_report.pk)

    second, _ = services.round_open(actor=sam, plan=plan, period="2025-Q3", due_date=date(2025, 10, 15))
    services.round_open_run(round_id=second.pk)
    reporter = people["fgw"][0]
    part = Report.objects.get(round=second, unit=reporter.memberships.get().unit, kind="part")
    services.report_update(actor=reporter, report_id=part.pk, content=services.report_content({
        "narrative": "前三季度全市规上工业营收 2.63 万亿元，同比增长 7.2%，增速较上半年加快 0.4 个百分点。"
                     "汽车、电子两大支柱产业贡献率超过 55%，新能源汽车产量同比增长 1.2 倍。\n\n"
                     "存在问题：部分原材料行业价格下行，营收增速承压。下一步将加快推进重点项目投产达效，",
        "percent_complete": "62",
        "indicator_values": values((revenue, "3.44"), (share, "26.3")),
        "milestone_claims": [{"milestone": q3.pk, "completed_date": "2025-09-30",
                              "evidence": "市统计局 2025 年 9 月工业统计快报"}],
    }))
    services.report_attach(actor=reporter, report_id=part.pk, milestone_id=q3.pk,
                           upload=SimpleUploadedFile("9月工业统计快报.pdf", PDF_BYTES))
    client = Client()
    client.force_login(reporter)
    return client.cookies["sessionid"].value, part.pk


@pytest.mark.skipif(os.environ.get("LUOSHI_SCREENSHOT") != "1", reason="LUOSHI_SCREENSHOT=1 refreshes the README image")
def test_readme_screenshot_of_the_report_page(report_session, live_server):
    session, part_id = report_session
    target = ROOT / "docs" / "screenshot-report.png"
    with chromium() as browser:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, device_scale_factor=1,
                                      reduced_motion="reduce")
        context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/reports/{part_id}/")
        page.locator("#narrative").press("Control+End")
        page.locator("#narrative").press_sequentially("确保全年目标完成。")
        page.locator("#autosave-status", has_text="已自动保存").wait_for()
        page.locator("#narrative").blur()
        page.mouse.move(1270, 5)  # no hover highlight in the picture
        page.screenshot(path=str(target))
        if os.environ.get("LUOSHI_SCREENSHOT_FULL"):
            page.screenshot(path=os.environ["LUOSHI_SCREENSHOT_FULL"], full_page=True)
        context.close()
    assert target.stat().st_size > 10_000
