"""People acting on the ladder: a 督办单 from issue to accepted reply (and a returned reply), who may take which step
(403/404/409), overdue notices climbing by themselves, a leader's 约谈 decision, the escalation board (filters and
a constant number of queries), 催办 by hand (once per part and working day), and the permission matrix of every new
route.

The world (tests/workflow/conftest.py): task 1.1, lead 市经济信息委 (alice reporter, carol head), responsible
市发展改革委 (bob, dave) and 市科技局 (erin, frank); sam supervises, leo leads. Its milestone is due Tuesday 30
September 2025; the round 2025-Q3 is due Friday 10 October. On Monday 20 October the milestone is 9 working days
overdue (the National Day holiday, and Saturday 11 October worked): 督办 level.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from notifications import selectors, services
from notifications.models import ManualChase, Notification, SupervisionNotice, Watch
from notifications.services_notices import notice_issue, notices_overdue_sweep
from tasks.models import AuditEvent
from tests.notifications.conftest import at
from tests.workflow.conftest import fill_and_sign
from workflow.selectors import unit_pending_parts

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def titles(user) -> list[str]:
    return [n.title for n in selectors.notification_list(user=user).order_by("created_at", "pk")]


@pytest.fixture
def late(world, time_machine):
    """The world on Monday 20 October 2025, 10:00: its milestone 9 working days overdue and watched; the round
    2025-Q3 (due 10 October) open since 20 September with every part still to fill."""
    time_machine.move_to(at("2025-09-20 09:00"), tick=False)
    world.round = world.open_round()
    time_machine.move_to(at("2025-10-20 10:00"), tick=False)
    services.watches_reconcile(now=at("2025-10-20 10:00"))
    world.watch = Watch.objects.get(milestone=world.milestone)
    return world


# --- a 督办单 from issue to accepted reply ------------------------------------------------------------------------

def test_a_notice_from_issue_to_accepted_reply(late):
    sam, alice, carol, bob = late["sam"], late["jxw-r"], late["jxw-h"], late["fgw-r"]
    issued = api(sam).post(f"/api/escalations/{late.watch.pk}/issue-notice/", {"requirements": "两周内完成"},
                           format="json")
    assert issued.status_code == 201, issued.content
    body = issued.json()
    assert (body["status"], body["version"], body["unit"]["short_name"]) == ("issued", 1, "市经济信息委")
    assert (body["receipt_due"], body["reply_due"]) == ("2025-10-21", "2025-10-27")
    notice_id = body["id"]
    # The unit's reporter and head are told at once; nobody else.
    assert titles(alice) == titles(carol) == ["【督办单】节点：1.1 任务 1.1 · 节点 2025"]
    assert titles(bob) == []

    assert api(alice).post(f"/api/notices/{notice_id}/receipt/", {"version": 1}, format="json").json()["status"] \
        == "received"
    replied = api(carol).post(f"/api/notices/{notice_id}/reply/",
                              {"version": 2, "reply": "已组织专班推进", "measures": "10月底前完成"}, format="json")
    assert replied.status_code == 200 and replied.json()["status"] == "replied"
    assert titles(sam) == ["【督办单回复】市经济信息委 已回复：节点：1.1 任务 1.1 · 节点 2025"]

    accepted = api(sam).post(f"/api/notices/{notice_id}/accept/", {"version": 3}, format="json")
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["decided_by"]["username"]) == ("accepted", "sam")
    assert titles(alice)[-1] == "【督办单办结】节点：1.1 任务 1.1 · 节点 2025"
    trail = list(AuditEvent.objects.filter(object_type="supervisionnotice", object_id=str(notice_id))
                 .order_by("pk").values_list("action", "actor__username"))
    assert trail == [("notice_issue", "sam"), ("notice_receipt", "alice"), ("notice_reply", "carol"),
                     ("notice_accept", "sam")]
    # Accepted, the item may get a new notice (one open at a time).
    assert api(sam).post(f"/api/escalations/{late.watch.pk}/issue-notice/", {}, format="json").status_code == 201


def test_a_returned_reply_goes_back_to_the_unit_with_its_reason_and_a_new_due_date(late, time_machine):
    sam, alice = late["sam"], late["jxw-r"]
    notice = notice_issue(actor=sam, watch_id=late.watch.pk)
    api(alice).post(f"/api/notices/{notice.pk}/receipt/", {}, format="json")
    api(alice).post(f"/api/notices/{notice.pk}/reply/", {"reply": "在办"}, format="json")
    time_machine.move_to(at("2025-10-22 10:00"), tick=False)
    no_reason = api(sam).post(f"/api/notices/{notice.pk}/return/", {"reason": " "}, format="json")
    assert no_reason.status_code == 400 and list(no_reason.json()["errors"]) == ["reason"]
    returned = api(sam).post(f"/api/notices/{notice.pk}/return/", {"reason": "措施不具体"}, format="json").json()
    assert (returned["status"], returned["return_reason"], returned["times_returned"]) == ("returned", "措施不具体", 1)
    assert returned["reply_due"] == "2025-10-29"  # 5 working days from the return
    assert titles(alice)[-1] == "【督办单退回】节点：1.1 任务 1.1 · 节点 2025"
    assert "措施不具体" in selectors.notification_list(user=alice).get(title__startswith="【督办单退回】").body
    again = api(alice).post(f"/api/notices/{notice.pk}/reply/", {"reply": "已细化措施"}, format="json")
    assert again.json()["status"] == "replied"
    assert api(sam).post(f"/api/notices/{notice.pk}/accept/", {}, format="json").json()["status"] == "accepted"
    assert [e for e in AuditEvent.objects.filter(object_type="supervisionnotice").order_by("pk")
            .values_list("action", flat=True)] == ["notice_issue", "notice_receipt", "notice_reply", "notice_return",
                                                   "notice_reply", "notice_accept"]


def test_who_may_take_which_step(late):
    sam, alice, carol, bob, leo = late["sam"], late["jxw-r"], late["jxw-h"], late["fgw-r"], late["leo"]
    assert api(alice).post(f"/api/escalations/{late.watch.pk}/issue-notice/", {}, format="json").status_code == 403
    assert api(sam).post("/api/escalations/999999/issue-notice/", {}, format="json").status_code == 404
    notice = notice_issue(actor=sam, watch_id=late.watch.pk)
    url = f"/api/notices/{notice.pk}"
    assert api(sam).post(f"/api/escalations/{late.watch.pk}/issue-notice/", {}, format="json").status_code == 409
    assert api(bob).post(f"{url}/receipt/", {}, format="json").status_code == 404  # another unit's: not there
    assert api(bob).get("/api/notices/").json()["count"] == 0
    assert api(sam).post(f"{url}/receipt/", {}, format="json").status_code == 403
    assert api(leo).post(f"{url}/receipt/", {}, format="json").status_code == 403
    assert api(alice).post(f"{url}/reply/", {"reply": "x"}, format="json").status_code == 409  # not signed yet
    assert api(alice).post(f"{url}/receipt/", {"version": 1}, format="json").status_code == 200
    assert api(carol).post(f"{url}/receipt/", {"version": 1}, format="json").status_code == 409  # stale version
    assert api(carol).post(f"{url}/receipt/", {}, format="json").status_code == 409  # second click
    assert api(alice).post(f"{url}/accept/", {}, format="json").status_code == 403
    assert api(sam).post(f"{url}/accept/", {}, format="json").status_code == 409  # nothing to accept yet
    assert api(alice).post(f"{url}/reply/", {"reply": ""}, format="json").status_code == 400
    assert api(alice).post(f"{url}/reply/", {"reply": "x", "version": 2}, format="json").status_code == 200
    assert api(sam).post(f"{url}/accept/", {"version": 2}, format="json").status_code == 409  # stale
    assert api(leo).get("/api/notices/").json()["count"] == 1
    notice.refresh_from_db()
    assert (notice.status, notice.version) == ("replied", 3)


def test_a_notice_on_an_item_not_yet_overdue_is_refused(world, time_machine):
    time_machine.move_to(at("2025-09-25 10:00"), tick=False)
    services.watches_reconcile(now=at("2025-09-25 10:00"))
    watch = Watch.objects.get(milestone=world.milestone)
    response = api(world["sam"]).post(f"/api/escalations/{watch.pk}/issue-notice/", {}, format="json")
    assert response.status_code == 409 and SupervisionNotice.objects.count() == 0


def test_late_receipts_and_replies_climb_the_ladder_once(late, time_machine):
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk)  # receipt due Tuesday 21 October
    assert notices_overdue_sweep(now=at("2025-10-20 23:00")) == 0
    assert notices_overdue_sweep(now=at("2025-10-21 08:00")) == 0  # before 08:30: nothing at night
    assert notices_overdue_sweep(now=at("2025-10-21 10:00")) == 2  # due today: alice and carol, to sign for it
    assert titles(late["jxw-r"])[-1].startswith("【督办单到期】今天须签收：")
    assert notices_overdue_sweep(now=at("2025-10-21 16:00")) == 0
    assert notices_overdue_sweep(now=at("2025-10-22 00:01")) == 0  # late since midnight, told at 08:30
    time_machine.move_to(at("2025-10-22 10:00"), tick=False)
    assert notices_overdue_sweep(now=at("2025-10-22 10:00")) == 2  # carol (head) and sam (issuer)
    assert notices_overdue_sweep(now=at("2025-10-22 11:00")) == 0  # never twice
    assert titles(late["jxw-h"])[-1].startswith("【督办单逾期】市经济信息委 逾期未签收（1 个工作日）")
    assert titles(late["leo"]) == []
    # 8 working days late (as many as separate 督办 from 约谈): the leadership is recommended a 约谈, once.
    time_machine.move_to(at("2025-10-31 10:00"), tick=False)
    assert notices_overdue_sweep(now=at("2025-10-31 10:00")) == 1
    assert titles(late["leo"]) == ["【建议约谈】市经济信息委 督办单逾期 8 个工作日：节点：1.1 任务 1.1 · 节点 2025"]
    assert Notification.objects.get(recipient=late["leo"]).level == 3
    notice.refresh_from_db()
    assert notice.status == "issued"


def test_a_leader_decides_an_interview_with_minutes_at_the_top_rung(late, time_machine):
    url = f"/api/escalations/{late.watch.pk}/interview/"
    decision = {"outcome": "held", "minutes": "约谈了单位负责人，明确整改时限"}
    assert api(late["leo"]).post(url, decision, format="json").status_code == 409  # 9 working days: 督办 only
    time_machine.move_to(at("2025-10-29 10:00"), tick=False)  # 16 working days
    assert api(late["sam"]).post(url, decision, format="json").status_code == 403
    assert api(late["leo"]).post(url, {"outcome": "held", "minutes": ""}, format="json").status_code == 400
    made = api(late["leo"]).post(url, decision, format="json")
    assert made.status_code == 201 and made.json()["outcome"] == "held"
    event = AuditEvent.objects.get(action="interview_decide")
    assert (event.actor.username, event.comment, event.after["level"]) == ("leo", decision["minutes"], 3)


# --- the escalation board -----------------------------------------------------------------------------------------

def _board(user, **params):
    response = api(user).get("/api/escalations/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_board_shows_every_overdue_item_at_its_rung(late):
    sam = late["sam"]
    rows = _board(sam)
    # The milestone (9 working days: 督办) and the two parts still to fill (due 10 October: 7 working days with the
    # Saturday 11 worked: 催办). The lead unit has no part of its own.
    assert [(r["kind"], r["unit_name"], r["level"], r["overdue_days"]) for r in rows] == [
        ("milestone", "市经济信息委", 2, 9), ("fill", "市发展改革委", 1, 7), ("fill", "市科技局", 1, 7)]
    assert rows[0]["recommended"] == "下发督办单" and rows[0]["id"] == late.watch.pk
    assert [r["kind"] for r in _board(sam, level=2)] == ["milestone"]
    assert {r["kind"] for r in _board(sam, kind="fill")} == {"fill"}
    fgw = late.part(late.round, "市发展改革委").unit_id
    assert [r["unit_name"] for r in _board(sam, unit=fgw)] == ["市发展改革委"]
    assert _board(sam, plan=late.plan.pk + 1000) == []
    bad = api(sam).get("/api/escalations/", {"level": "9"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["level"]
    assert api(late["jxw-h"]).get("/api/escalations/").status_code == 403
    assert _board(late["leo"])  # the leadership reads it too
    # With a notice issued, the row carries it and the next step follows it.
    notice_issue(actor=sam, watch_id=late.watch.pk)
    first = _board(sam, level=2)[0]
    assert (first["notice"]["status"], first["recommended"]) == ("issued", "督办单办理中，跟进")


def test_the_board_costs_the_same_queries_for_few_items_and_many(late, time_machine):
    from tests.factories import make_milestone, make_task

    def count() -> int:
        client = APIClient()
        client.force_authenticate(late["sam"])
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/escalations/").status_code == 200
        return len(queries)

    few = count()
    for number in range(2, 12):
        task = make_task(late.plan, f"1.{number}", parent=late.task.parent, responsible=("市发展改革委",))
        make_milestone(task, f"m{number}", late.milestone.due_date)
    services.watches_reconcile(now=at("2025-10-20 10:00"))
    notice_issue(actor=late["sam"], watch_id=late.watch.pk)
    assert len(_board(late["sam"])) >= 11
    assert count() == few


def test_the_board_page_renders_for_a_supervisor_and_is_refused_to_a_unit(late):
    client = Client()
    client.force_login(late["sam"])
    page = client.get("/escalations/").content.decode()
    assert "下发督办单" in page and f'data-watch="{late.watch.pk}"' in page
    client.force_login(late["jxw-h"])
    assert client.get("/escalations/").status_code == 403


def test_the_notice_pages_walk_the_steps(late):
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk)
    unit = Client()
    unit.force_login(late["jxw-r"])
    assert 'id="receipt"' in unit.get(f"/notices/{notice.pk}/").content.decode()
    unit.post(f"/notices/{notice.pk}/receipt/", {"version": 1})
    unit.post(f"/notices/{notice.pk}/reply/", {"version": 2, "reply": "已推进", "measures": "月底完成"})
    supervisor = Client()
    supervisor.force_login(late["sam"])
    assert 'id="accept"' in supervisor.get(f"/notices/{notice.pk}/").content.decode()
    supervisor.post(f"/notices/{notice.pk}/accept/", {"version": 3})
    notice.refresh_from_db()
    assert notice.status == "accepted"
    other = Client()
    other.force_login(late["fgw-r"])
    assert other.get(f"/notices/{notice.pk}/").status_code == 404
    assert notice.title in unit.get("/notices/").content.decode()


# --- 催办 by hand -------------------------------------------------------------------------------------------------

def test_the_lead_unit_chases_a_missing_part_once_per_working_day(late, time_machine):
    alice, bob, dave = late["jxw-r"], late["fgw-r"], late["fgw-h"]
    task_report = late.task_report(late.round)
    part = late.part(late.round, "市发展改革委")
    url = f"/api/reports/{task_report.pk}/chase/"
    made = api(alice).post(url, {"part": part.pk}, format="json")
    assert made.status_code == 201 and made.json()["day"] == "2025-10-20"
    expected = "【催办】市经济信息委 催报：2025-Q3 1.1 任务 1.1"
    assert titles(bob) == titles(dave) == [expected]
    assert Notification.objects.filter(kind="chase", report=part).count() == 2
    assert api(late["jxw-h"]).post(url, {"part": part.pk}, format="json").status_code == 409  # already today
    assert api(late["sam"]).post(url, {"part": part.pk}, format="json").status_code == 409
    time_machine.move_to(at("2025-10-21 09:00"), tick=False)
    assert api(late["sam"]).post(url, {"part": part.pk}, format="json").status_code == 201  # the next working day
    assert titles(bob) == [expected, expected]
    audit = AuditEvent.objects.filter(action="report_chase", object_id=str(part.pk))
    assert list(audit.values_list("actor__username", flat=True).order_by("pk")) == ["alice", "sam"]


def test_a_chase_on_a_saturday_counts_for_monday(late, time_machine):
    task_report = late.task_report(late.round)
    part = late.part(late.round, "市科技局")
    time_machine.move_to(at("2025-10-25 10:00"), tick=False)  # Saturday
    url = f"/api/reports/{task_report.pk}/chase/"
    assert api(late["jxw-r"]).post(url, {"part": part.pk}, format="json").json()["day"] == "2025-10-27"
    time_machine.move_to(at("2025-10-27 10:00"), tick=False)
    assert api(late["jxw-r"]).post(url, {"part": part.pk}, format="json").status_code == 409


def test_who_may_chase_and_what(late):
    task_report = late.task_report(late.round)
    part = late.part(late.round, "市发展改革委")
    url = f"/api/reports/{task_report.pk}/chase/"
    assert api(late["fgw-r"]).post(url, {"part": part.pk}, format="json").status_code == 404  # not visible to bob
    assert api(late["leo"]).post(url, {"part": part.pk}, format="json").status_code == 403
    assert api(late["jxw-r"]).post(f"/api/reports/{part.pk}/chase/", {"part": part.pk},
                                   format="json").status_code == 404  # a part is not a task report
    signed = fill_and_sign(late, late.round, "kjj")
    assert api(late["jxw-r"]).post(url, {"part": signed.pk}, format="json").status_code == 409  # delivered
    assert api(late["jxw-r"]).post(url, {"part": 999999}, format="json").status_code == 404
    assert api(late["jxw-r"]).post(url, {}, format="json").status_code == 400
    assert api(late["jxw-r"]).post(url, {"part": part.pk}, format="json").status_code == 201
    assert ManualChase.objects.count() == 1


def test_the_report_page_lists_the_missing_parts_with_their_holders_and_the_button(late):
    task_report = late.task_report(late.round)
    fill_and_sign(late, late.round, "kjj")
    client = Client()
    client.force_login(late["jxw-r"])
    page = client.get(f"/reports/{task_report.pk}/").content.decode()
    assert "尚未报送的单位" in page and "市发展改革委" in page
    assert f'data-part="{late.part(late.round, "市科技局").pk}"' not in page  # signed off: not missing
    client.post(f"/reports/{task_report.pk}/chase/", {"part": late.part(late.round, "市发展改革委").pk})
    assert "今天已催办" in client.get(f"/reports/{task_report.pk}/").content.decode()
    bob = Client()
    bob.force_login(late["fgw-r"])
    assert "尚未报送的单位" not in bob.get(f"/reports/{late.part(late.round, '市发展改革委').pk}/").content.decode()


# --- the unit head's inbox: 本单位待报 ------------------------------------------------------------------------------

def test_a_unit_heads_inbox_shows_the_units_own_unsubmitted_parts(late):
    dave = late["fgw-h"]
    part = late.part(late.round, "市发展改革委")
    rows, more = unit_pending_parts(user=dave)
    assert [r.pk for r in rows] == [part.pk] and not more
    client = Client()
    client.force_login(dave)
    page = client.get("/inbox/").content.decode()
    assert "本单位待报" in page and f'data-part="{part.pk}"' in page
    assert unit_pending_parts(user=late["fgw-r"]) == ([], False)  # a reporter has it in the inbox itself
    fill_and_sign(late, late.round, "fgw")
    assert unit_pending_parts(user=dave) == ([], False)
    assert "本单位待报" not in client.get("/inbox/").content.decode()


def test_the_admin_lists_notices_decisions_and_chases_read_only(late, admin_client):
    notice = notice_issue(actor=late["sam"], watch_id=late.watch.pk)
    task_report = late.task_report(late.round)
    api(late["jxw-r"]).post(f"/api/reports/{task_report.pk}/chase/",
                            {"part": late.part(late.round, "市发展改革委").pk}, format="json")
    for model in ("supervisionnotice", "interviewdecision", "manualchase"):
        assert admin_client.get(f"/admin/notifications/{model}/").status_code == 200
    assert admin_client.get(f"/admin/notifications/supervisionnotice/{notice.pk}/change/").status_code == 200
    assert admin_client.get("/admin/notifications/supervisionnotice/add/").status_code == 403
