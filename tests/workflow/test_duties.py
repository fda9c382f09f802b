"""Segregation of duties (issue 7, item 3): nobody reviews their own work.

- the supervisor who approves or returns a task report in review submitted, signed off or consolidated none of it
  nor of its parts in that round;
- a unit head does not sign off a part they submitted themselves (they may still send it back: that decides
  nothing);
- the lead unit's head does not sign off a consolidated report they consolidated themselves.

Refused in the services with 403 and the code ``conflict_of_duty`` (so the pages and the API refuse alike), and
never offered: a report's ``actions`` leave the action out for that user.

The attack: a supervisor who may edit memberships in the admin (as the demo's ``supervisor`` may) gives
themselves roles in the units of a task, does the units' work, and then approves it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.test import Client
from rest_framework.test import APIClient

from tasks.errors import DutyConflict
from tasks.models import Report, TaskUnit
from tests.conftest import make_user
from tests.support import submit_report
from tests.workflow.conftest import UNITS, World, fill_and_sign
from units.models import Membership, Unit
from workflow import services

S = Report.Status
R, H = Membership.Role.REPORTER, Membership.Role.HEAD


def _admin_grants(client: Client, user: User, short_name: str, role: str) -> None:
    """Add a membership through the Django admin, as a staff supervisor would."""
    unit_id = Unit.objects.get(short_name=short_name).pk
    response = client.post("/admin/units/membership/add/", {"user": user.pk, "unit": unit_id, "role": role})
    assert response.status_code == 302, response.content.decode()[:2000]


def _staff_supervisor(user: User) -> User:
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="units",
            codename__in=["view_membership", "add_membership", "change_membership", "delete_membership", "view_unit"],
        )
    )
    return User.objects.get(pk=user.pk)


def _self_dealt_review(world: World) -> Report:
    """sam gives himself, in the admin, a reporter's role in 市发展改革委 and a head's in 市科技局 and the lead
    unit 市经济信息委; fills and submits 发改委's part, signs off 科技局's, consolidates and submits the task
    report. The others only do what he cannot: dave signs off the part sam submitted, carol the consolidation."""
    sam = _staff_supervisor(world["sam"])
    admin = Client()
    admin.force_login(sam)
    _admin_grants(admin, sam, UNITS["fgw"], R)
    _admin_grants(admin, sam, UNITS["kjj"], H)
    _admin_grants(admin, sam, UNITS["jxw"], H)
    sam = User.objects.get(pk=sam.pk)  # a fresh scope

    round_ = world.open_round()
    part = world.part(round_, UNITS["fgw"])
    services.report_submit(
        actor=sam,
        report_id=part.pk,
        content=services.report_content({"narrative": "全部完成", "percent_complete": "100"}),
    )
    services.report_sign_off(actor=world["fgw-h"], report_id=part.pk)
    kjj = world.part(round_, UNITS["kjj"])
    services.report_submit(
        actor=world["kjj-r"],
        report_id=kjj.pk,
        content=services.report_content({"narrative": "科技局进展", "percent_complete": "50"}),
    )
    services.report_sign_off(actor=sam, report_id=kjj.pk)
    task_report = world.task_report(round_)
    assert task_report.status == S.CONSOLIDATING
    services.report_submit(actor=sam, report_id=task_report.pk)
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    task_report = world.task_report(round_)
    assert task_report.status == S.IN_REVIEW
    return task_report


def test_a_supervisor_cannot_approve_what_they_filled_and_consolidated_through_the_api(world):
    task_report = _self_dealt_review(world)
    api = APIClient()
    api.force_login(world["sam"])
    detail = api.get(f"/api/reports/{task_report.pk}/")
    assert detail.status_code == 200
    assert detail.json()["actions"] == []
    for path, body in (
        (f"/api/reports/{task_report.pk}/approve/", {}),
        (f"/api/reports/{task_report.pk}/return/", {"reason": "自己退回"}),
    ):
        refused = api.post(path, body, format="json")
        assert refused.status_code == 403, refused.content
        assert refused.json()["code"] == "conflict_of_duty"
        assert "其他督查人员" in refused.json()["detail"]
    assert Report.objects.get(pk=task_report.pk).status == S.IN_REVIEW

    # Another supervisor, who did none of it, reviews it.
    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    other = APIClient()
    other.force_login(sue)
    assert other.get(f"/api/reports/{task_report.pk}/").json()["actions"] == ["return", "approve"]
    approved = other.post(f"/api/reports/{task_report.pk}/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    assert Report.objects.get(pk=task_report.pk).approved_by == sue


def test_a_supervisor_cannot_approve_what_they_filled_and_consolidated_through_the_pages(world):
    task_report = _self_dealt_review(world)
    page = Client()
    page.force_login(world["sam"])
    html = page.get(f"/reports/{task_report.pk}/").content.decode()
    assert f'action="/reports/{task_report.pk}/approve/"' not in html
    assert "其他督查人员" in html
    refused = page.post(f"/reports/{task_report.pk}/approve/", {"version": task_report.version})
    assert refused.status_code == 403
    assert "其他督查人员" in refused.content.decode()
    refused = page.post(f"/reports/{task_report.pk}/return/", {"version": task_report.version, "reason": "退回"})
    assert refused.status_code == 403
    assert Report.objects.get(pk=task_report.pk).status == S.IN_REVIEW

    sue = make_user("sue", ("市政府办公厅", Membership.Role.SUPERVISOR))
    other = Client()
    other.force_login(sue)
    assert f'action="/reports/{task_report.pk}/approve/"' in other.get(f"/reports/{task_report.pk}/").content.decode()
    assert other.post(f"/reports/{task_report.pk}/approve/", {"version": task_report.version}).status_code == 302
    assert Report.objects.get(pk=task_report.pk).status == S.APPROVED


@pytest.mark.parametrize("hand", ["submitted a part", "signed off a part", "consolidated", "signed off the task"])
def test_any_hand_in_the_round_bars_the_review(world, hand):
    """One supervisor with every role, each case taking one step of the round: any one of them bars approval."""
    sid = make_user(
        "sid",
        ("市政府办公厅", Membership.Role.SUPERVISOR),
        (UNITS["fgw"], R),
        (UNITS["fgw"], H),
        (UNITS["jxw"], R),
        (UNITS["jxw"], H),
    )
    round_ = world.open_round()
    part = world.part(round_, UNITS["fgw"])
    content = services.report_content({"narrative": "进展", "percent_complete": "40"})
    services.report_submit(
        actor=sid if hand == "submitted a part" else world["fgw-r"], report_id=part.pk, content=content
    )
    services.report_sign_off(actor=sid if hand == "signed off a part" else world["fgw-h"], report_id=part.pk)
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    services.report_submit(actor=sid if hand == "consolidated" else world["jxw-r"], report_id=task_report.pk)
    services.report_sign_off(actor=sid if hand == "signed off the task" else world["jxw-h"], report_id=task_report.pk)

    sid = User.objects.get(pk=sid.pk)
    with pytest.raises(DutyConflict):
        services.report_approve(actor=sid, report_id=task_report.pk)
    with pytest.raises(DutyConflict):
        services.report_return(actor=sid, report_id=task_report.pk, reason="退回")
    with pytest.raises(DutyConflict):
        services.report_return(actor=sid, report_id=task_report.pk, reason="退回", part_id=part.pk)
    assert services.report_approve(actor=world["sam"], report_id=task_report.pk).status == S.APPROVED


def test_a_head_does_not_sign_off_their_own_submission(world):
    dave = world["fgw-h"]
    Membership.objects.create(user=dave, unit=Unit.objects.get(short_name=UNITS["fgw"]), role=R)
    dave = User.objects.get(pk=dave.pk)
    round_ = world.open_round()
    part = world.part(round_, UNITS["fgw"])
    services.report_submit(
        actor=dave, report_id=part.pk, content=services.report_content({"narrative": "进展", "percent_complete": "40"})
    )

    api = APIClient()
    api.force_login(dave)
    assert api.get(f"/api/reports/{part.pk}/").json()["actions"] == ["return"]
    refused = api.post(f"/api/reports/{part.pk}/sign-off/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "conflict_of_duty"
    assert "本单位其他负责人" in refused.json()["detail"]
    page = Client()
    page.force_login(dave)
    assert page.post(f"/reports/{part.pk}/sign-off/").status_code == 403
    assert Report.objects.get(pk=part.pk).status == S.SUBMITTED

    # Another head of the unit signs it off.
    other_head = make_user("fgw-head-2", (UNITS["fgw"], H))
    assert services.report_sign_off(actor=other_head, report_id=part.pk).status == S.SIGNED_OFF


def test_a_head_may_send_their_own_submission_back(world):
    """A withdrawal decides nothing: the head who submitted may return the part to the unit's draft."""
    dave = world["fgw-h"]
    Membership.objects.create(user=dave, unit=Unit.objects.get(short_name=UNITS["fgw"]), role=R)
    dave = User.objects.get(pk=dave.pk)
    round_ = world.open_round()
    part = world.part(round_, UNITS["fgw"])
    submit_report(actor=dave, report_id=part.pk)
    assert services.report_return(actor=dave, report_id=part.pk, reason="再补充").status == S.DRAFT


def test_the_lead_head_does_not_sign_off_what_they_consolidated(world):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    task_report = world.task_report(round_)
    services.report_submit(actor=world["jxw-h"], report_id=task_report.pk)

    api = APIClient()
    api.force_login(world["jxw-h"])
    assert api.get(f"/api/reports/{task_report.pk}/").json()["actions"] == ["return"]
    refused = api.post(f"/api/reports/{task_report.pk}/sign-off/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "conflict_of_duty")
    with pytest.raises(PermissionDenied):
        services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)

    other_head = make_user("jxw-head-2", (UNITS["jxw"], H))
    assert services.report_sign_off(actor=other_head, report_id=task_report.pk).status == S.IN_REVIEW


def test_signing_off_a_part_does_not_bar_the_lead_head_from_the_consolidated_report(world):
    """The lead unit's head signs off their own unit's part and then the consolidation: that is the job."""
    jxw = Unit.objects.get(short_name=UNITS["jxw"])
    TaskUnit.objects.create(task=world.task, unit=jxw, order=2)
    round_ = world.open_round()
    for key in ("fgw", "kjj", "jxw"):
        fill_and_sign(world, round_, key)
    task_report = world.task_report(round_)
    services.report_submit(actor=world["jxw-r"], report_id=task_report.pk)
    assert services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk).status == S.IN_REVIEW


def test_what_a_user_may_not_take_on_leaves_their_inbox(world):
    """The inbox lists what waits for you: not a review of a round you had a hand in, nor a sign-off of your own
    submission or consolidation. Everyone else's inbox is unchanged."""
    from workflow.selectors import inbox

    sid = make_user("sid", ("市政府办公厅", Membership.Role.SUPERVISOR), (UNITS["kjj"], R), (UNITS["jxw"], H))
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    kjj = world.part(round_, UNITS["kjj"])
    services.report_submit(
        actor=sid, report_id=kjj.pk, content=services.report_content({"narrative": "进展", "percent_complete": "40"})
    )

    def waiting(user: User) -> list[tuple[str, str]]:
        return [(report.unit.short_name, report.status) for report in inbox(user=User.objects.get(pk=user.pk))]

    assert waiting(world["kjj-h"]) == [(UNITS["kjj"], S.SUBMITTED)]
    kjj_head_too = make_user("kjj-rh", (UNITS["kjj"], R), (UNITS["kjj"], H))
    services.report_sign_off(actor=world["kjj-h"], report_id=kjj.pk)
    task_report = world.task_report(round_)
    services.report_submit(actor=sid, report_id=task_report.pk)  # sid consolidates as a head of the lead unit
    assert waiting(sid) == []  # the lead sign-off of his own consolidation is not his
    assert waiting(world["jxw-h"]) == [(UNITS["jxw"], S.LEAD_SIGN_OFF)]
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    assert waiting(sid) == []  # nor the review
    assert waiting(world["sam"]) == [(UNITS["jxw"], S.IN_REVIEW)]
    assert waiting(kjj_head_too) == []
