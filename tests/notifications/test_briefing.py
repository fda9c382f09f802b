"""The leadership's weekly briefing (``notifications.briefing``): on Monday 27 October 2025 the leaders get one
message about the week of 20–26 October — the ladder (the milestone of task 1.1, due 30 September and left open,
is overdue; a 督办单 was issued on it), the 2025-Q3 round published that week, and task 1.1 whose light worsened
over the week (``evaluation.briefing`` through ``tasks.briefing``). Once per leader and week; only when there is
something in it; nobody else gets it; a fixed number of queries however many leaders.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.lights import plan_lights_store
from evaluation.models import StoredLight
from notifications import briefing, services
from notifications.models import Delivery, Endpoint, Notification, Watch
from notifications.services_notices import notice_issue
from tasks.briefing import BriefingSection, Week, register_briefing_section, unregister_briefing_section
from tests.evaluation.conftest import approved_quarter, default_rule_set  # noqa: F401 - fixtures
from tests.evaluation.test_evaluation_panels import publish_q3
from tests.factories import make_milestone
from tests.notifications.conftest import at
from units.models import Membership

pytestmark = pytest.mark.django_db
MONDAY = at("2025-10-27 08:30")


@pytest.fixture
def week_of_news(world, approved_quarter):  # noqa: F811 - the fixture imported above
    """The lights of 19 October stored; a milestone of task 1.1 due 10 October, not done, before the lights of 26
    October (10 working days late: red); the round 2025-Q3 published on Wednesday 22 October; a 督办单 issued on
    the milestone on Tuesday 21 October."""
    with time_machine.travel(at("2025-10-19 23:00"), tick=False):
        plan_lights_store(plan_id=world.plan.pk, as_of=date(2025, 10, 19))
    with time_machine.travel(at("2025-10-21 10:00"), tick=False):
        world.late_milestone = make_milestone(world.task, "2025c", date(2025, 10, 10), title="设备安装")
        services.watches_reconcile(now=at("2025-10-21 10:00"))
        watch = Watch.objects.get(milestone=world.late_milestone)
        notice_issue(actor=world["sam"], watch_id=watch.pk, now=at("2025-10-21 10:00"))
    with time_machine.travel(at("2025-10-22 15:00"), tick=False):
        publish_q3(world)
    with time_machine.travel(at("2025-10-26 23:00"), tick=False):
        plan_lights_store(plan_id=world.plan.pk, as_of=date(2025, 10, 26))
    return world


def test_the_leaders_get_last_weeks_briefing_once(week_of_news, time_machine):
    world = week_of_news
    time_machine.move_to(MONDAY, tick=False)
    lights = dict(StoredLight.objects.filter(task=world.task).values_list("as_of", "colour"))
    assert lights == {date(2025, 10, 19): "green", date(2025, 10, 26): "red"}
    assert briefing.briefings_write(now=MONDAY) == 1
    [message] = Notification.objects.filter(kind="weekly")
    assert (message.recipient, message.role, message.slot) == (world["leo"], "leader", "weekly:2025-10-26")
    assert message.title == "【每周简报】2025-10-20 至 2025-10-26"
    # The default palette labels the colours by standing: green 良好, red 落后 (evaluation.rules.config).
    assert message.body.split("\n\n") == [
        "督查督办\n"
        "逾期事项 1 项：提醒 0、催办 0、督办 1、约谈 0\n"  # the milestone: 10 working days late on the 27th
        "督办单：本周下发 1 份、办结 0 份；办理中 1 份，其中逾期 1 份",  # its receipt was due on the 22nd
        "赛马比拼：本周晾晒\n"
        "2025-Q3 赛马比拼已晾晒（第 1 版）：滞后 2、落后 1\n"
        "新亮红灯：市经济信息委",
        "任务亮灯：本周转差 2 项，其中新亮红灯 2 项\n"
        "1 任务 1：良好 → 落后\n"
        "1.1 任务 1.1：良好 → 落后",
    ]
    assert Delivery.objects.get(notification=message).channel == "in_app"
    assert briefing.briefings_write(now=at("2025-10-27 09:30")) == 0  # the same week: nothing more
    assert not Notification.objects.filter(kind="weekly").exclude(recipient=world["leo"]).exists()


def test_the_briefing_goes_to_each_leader_on_every_enabled_channel_in_fixed_queries(week_of_news, time_machine):
    world = week_of_news
    time_machine.move_to(MONDAY, tick=False)
    Endpoint.objects.create(user=world["leo"], channel="email", address="leo@example.gov.cn")
    with CaptureQueriesContext(connection) as one_leader:
        assert briefing.briefings_write(now=MONDAY) == 1
    Notification.objects.filter(kind="weekly").delete()
    leadership = Membership.objects.get(user=world["leo"]).unit
    for name in ("lena", "liam"):
        user = type(world["leo"]).objects.create_user(username=name, password="x")
        Membership.objects.create(user=user, unit=leadership, role=Membership.Role.LEADER)
    with CaptureQueriesContext(connection) as three_leaders:
        assert briefing.briefings_write(now=MONDAY) == 3
    assert len(three_leaders) == len(one_leader), [q["sql"] for q in three_leaders.captured_queries]
    assert sorted(Delivery.objects.filter(notification__kind="weekly").values_list("channel", flat=True)) == [
        "email", "in_app", "in_app", "in_app"]


def test_a_quiet_week_sends_nothing(world):
    assert briefing.briefings_write(now=at("2025-09-01 08:30")) == 0  # nothing overdue, published or stored
    assert not Notification.objects.exists()


def test_other_apps_add_their_sections_in_order(world):
    def source(week: Week) -> BriefingSection:
        return BriefingSection(title=f"测试 {week.first}—{week.last}", lines=("一", "二"), more=3)

    register_briefing_section("test.source", source, order=1)
    try:
        assert briefing.briefings_write(now=at("2025-09-01 08:30")) == 1
    finally:
        unregister_briefing_section("test.source")
    message = Notification.objects.get(kind="weekly")
    assert message.body == "测试 2025-08-25—2025-08-31\n一\n二\n…另有 3 项"
