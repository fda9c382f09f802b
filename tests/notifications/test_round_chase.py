"""催办 from the round page: a supervisor chases every part a unit still owes in a round with one click; one
message per person of the unit lists them; each part once per working day (the lead unit's 催办 on a part and the
supervisor's on the unit share the limit); the page lists the units still owing parts, with who holds them.

The world of ``test_notices.py`` on Monday 20 October 2025: the round 2025-Q3 (due 10 October) has every part still
to fill — 市发展改革委 (bob reporter, dave head) and 市科技局 (erin, frank) owe one part each of task 1.1.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from notifications import selectors_notices
from notifications.models import Delivery, ManualChase, Notification
from tasks.models import AuditEvent
from tests.factories import make_task
from tests.notifications.conftest import at
from tests.notifications.test_notices import api, late, titles  # noqa: F401  (the fixture)
from tests.workflow.conftest import UNITS, fill_and_sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tasks(world, time_machine):
    """As ``late``, with a task 1.2 (responsible 市发展改革委 and 市经济信息委) in the round: 市发展改革委 owes two
    parts."""
    world.second = make_task(world.plan, "1.2", parent=world.task.parent, responsible=(UNITS["fgw"], UNITS["jxw"]))
    time_machine.move_to(at("2025-09-20 09:00"), tick=False)
    world.round = world.open_round()
    time_machine.move_to(at("2025-10-20 10:00"), tick=False)
    return world


def test_a_supervisor_chases_everything_a_unit_owes_in_the_round_once_a_working_day(late, time_machine):  # noqa: F811
    fgw = late.part(late.round, "市发展改革委").unit_id
    url = f"/api/rounds/{late.round.pk}/chase/"
    made = api(late["sam"]).post(url, {"unit": fgw}, format="json")
    assert made.status_code == 201, made.content
    assert made.json() == {"unit": fgw, "day": "2025-10-20", "parts": [late.part(late.round, "市发展改革委").pk]}
    expected = "【催办】督查专班催报：2025-Q3 本单位 1 份单位报告未报送"
    assert titles(late["fgw-r"]) == titles(late["fgw-h"]) == [expected]
    assert titles(late["kjj-r"]) == []
    message = Notification.objects.get(recipient=late["fgw-r"])
    assert message.body == "截止 2025-10-10。请尽快办理：\n· 1.1 任务 1.1（待填报）"
    assert (message.kind, message.level, message.url) == ("chase", 1, "/inbox/")
    assert Delivery.objects.get(notification=message).status == "sent"  # in-app at once
    again = api(late["sam"]).post(url, {"unit": fgw}, format="json")
    assert again.status_code == 409 and "今天已催办" in again.content.decode()
    # the lead unit's 催办 on the same part shares the limit
    task_report = late.task_report(late.round)
    assert api(late["jxw-r"]).post(f"/api/reports/{task_report.pk}/chase/",
                                   {"part": late.part(late.round, "市发展改革委").pk}, format="json").status_code == 409
    time_machine.move_to(at("2025-10-21 09:00"), tick=False)
    assert api(late["sam"]).post(url, {"unit": fgw}, format="json").status_code == 201
    assert titles(late["fgw-r"]) == [expected, expected]
    events = AuditEvent.objects.filter(action="round_unit_chase").order_by("pk")
    assert [(event.actor.username, event.unit_id) for event in events] == [("sam", fgw), ("sam", fgw)]


def test_parts_chased_by_the_lead_unit_today_are_left_out_and_the_rest_listed(two_tasks):
    first = two_tasks.part(two_tasks.round, "市发展改革委")
    other = two_tasks.part(two_tasks.round, "市发展改革委", task=two_tasks.second)
    api(two_tasks["jxw-r"]).post(f"/api/reports/{two_tasks.task_report(two_tasks.round).pk}/chase/",
                                 {"part": first.pk}, format="json")
    made = api(two_tasks["sam"]).post(f"/api/rounds/{two_tasks.round.pk}/chase/", {"unit": first.unit_id},
                                      format="json")
    assert made.status_code == 201 and made.json()["parts"] == [other.pk]
    assert ManualChase.objects.count() == 2
    message = Notification.objects.get(recipient=two_tasks["fgw-r"], slot__startswith="round-chase:")
    assert message.body == "截止 2025-10-10。请尽快办理：\n· 1.2 任务 1.2（待填报）"


def test_who_may_chase_a_unit_and_what(late):  # noqa: F811
    fgw = late.part(late.round, "市发展改革委").unit_id
    url = f"/api/rounds/{late.round.pk}/chase/"
    assert api(late["sam"]).post(url, {}, format="json").status_code == 400
    assert api(late["sam"]).post(url, {"unit": "x"}, format="json").status_code == 400
    assert api(late["sam"]).post("/api/rounds/999999/chase/", {"unit": fgw}, format="json").status_code == 404
    assert api(late["leo"]).post(url, {"unit": fgw}, format="json").status_code == 403
    assert api(late["fgw-h"]).post(url, {"unit": fgw}, format="json").status_code == 403
    lead = late.task_report(late.round).unit_id  # the lead unit owes no part: it consolidates
    assert api(late["sam"]).post(url, {"unit": lead}, format="json").status_code == 409
    fill_and_sign(late, late.round, "fgw")
    nothing = api(late["sam"]).post(url, {"unit": fgw}, format="json")
    assert nothing.status_code == 409 and "没有尚未报送" in nothing.content.decode()
    assert not ManualChase.objects.exists() and not Notification.objects.filter(kind="chase").exists()


def test_the_round_page_lists_the_units_still_owing_parts_with_the_button(late):  # noqa: F811
    fill_and_sign(late, late.round, "kjj")
    sam = Client()
    sam.force_login(late["sam"])
    page = sam.get(f"/rounds/{late.round.pk}/").content.decode()
    assert 'id="round-chase"' in page
    fgw_code = late.part(late.round, "市发展改革委").unit.code
    assert f'data-unit="{fgw_code}"' in page
    assert f'data-unit="{late.part(late.round, "市科技局").unit.code}"' not in page  # delivered
    response = sam.post(f"/rounds/{late.round.pk}/chase/", {"unit": late.part(late.round, "市发展改革委").unit_id})
    assert response.status_code == 302 and response["Location"].endswith(f"/rounds/{late.round.pk}/#round-chase")
    page = sam.get(f"/rounds/{late.round.pk}/").content.decode()
    assert "今天已催办" in page and "已催办。" in page
    leo = Client()
    leo.force_login(late["leo"])
    assert 'id="round-chase"' not in leo.get(f"/rounds/{late.round.pk}/").content.decode()


@pytest.mark.parametrize(("world_of", "expected"), [
    ("late", [("市发展改革委", 1, 0), ("市科技局", 1, 0)]),
    ("two_tasks", [("市发展改革委", 2, 0), ("市经济信息委", 1, 0), ("市科技局", 1, 0)]),  # most, then by order
])
def test_the_round_list_of_units_to_chase_costs_the_same_queries_however_many_units(request, world_of, expected):
    world = request.getfixturevalue(world_of)
    with CaptureQueriesContext(connection) as counted:
        rows = selectors_notices.round_missing_units(user=world["sam"], round_id=world.round.pk,
                                                    today=at("2025-10-20 10:00").date())
    assert [(row.unit.short_name, row.missing, row.to_sign_off) for row in rows] == expected
    assert sorted(rows[0].holders) == ["bob", "dave"]
    assert len(counted) == 4
