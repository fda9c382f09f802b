"""督办单 in the unit score: F3's "督办 replies on time" counts the unit's notices whose written reply fell due in the
period (``notifications.selectors_notices.duban_counts``, read by ``evaluation`` through ``tasks.supervision``).

Two milestones of task 1.1 (lead 市经济信息委) were due on 29 August 2025 and left open; on Wednesday 10 September sam
issued a 督办单 on each (replies due Wednesday 17 September). The unit answered one on 16 September and the other on
19 September: one reply of two on time in 2025-Q3.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from evaluation import services as evaluation_services
from notifications import services
from notifications.models import Watch
from notifications.selectors_notices import duban_counts
from notifications.services_notices import notice_issue, notice_receipt, notice_reply
from tasks.supervision import register_duban_counter, unregister_duban_counter
from tests.evaluation.conftest import approved_quarter, default_rule_set  # noqa: F401 - fixtures
from tests.factories import make_milestone
from tests.notifications.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(world, approved_quarter):  # noqa: F811 - the fixture imported above
    alice = world["jxw-r"]
    for code, replied in (("2025x", "2025-09-16 15:00"), ("2025y", "2025-09-19 15:00")):
        milestone = make_milestone(world.task, code, date(2025, 8, 29), title=f"节点 {code}")
        services.watches_reconcile(now=at("2025-09-10 09:00"))
        notice = notice_issue(actor=world["sam"], watch_id=Watch.objects.get(milestone=milestone).pk,
                              now=at("2025-09-10 10:00"))
        assert str(notice.reply_due) == "2025-09-17"
        notice_receipt(actor=alice, notice_id=notice.pk, now=at("2025-09-11 09:00"))
        notice_reply(actor=alice, notice_id=notice.pk, reply="已整改", now=at(replied))
    return world


def unit_of(world, person: str) -> int:
    return world[person].memberships.get().unit_id


def test_the_replies_due_in_the_period_and_those_on_time_are_counted_per_unit(answered):
    jxw = unit_of(answered, "jxw-r")
    q3 = (answered.plan.pk, date(2025, 7, 1), date(2025, 9, 30))
    assert duban_counts(*q3, date(2025, 10, 20)) == {jxw: (2, 1)}
    assert duban_counts(*q3, date(2025, 9, 16)) == {}  # not yet due by then
    assert duban_counts(answered.plan.pk, date(2025, 10, 1), date(2025, 12, 31), date(2025, 12, 31)) == {}


def test_the_unit_score_counts_them_in_f3_and_shows_them_in_the_breakdown(answered):
    sam = answered["sam"]
    evaluation = evaluation_services.evaluation_start(actor=sam, plan_id=answered.plan.pk, period="2025-Q3",
                                                      today=date(2025, 10, 20))
    evaluation_services.evaluation_compute(evaluation_id=evaluation.pk)
    client = APIClient()
    client.force_authenticate(sam)
    jxw = client.get(f"/api/evaluations/{evaluation.pk}/units/{unit_of(answered, 'jxw-r')}/").json()
    assert (jxw["breakdown"]["counts"]["duban_due"], jxw["breakdown"]["counts"]["duban_on_time"]) == (2, 1)
    assert Decimal(jxw["breakdown"]["process"]["duban"]) == Decimal("0.5")
    kjj = client.get(f"/api/evaluations/{evaluation.pk}/units/{unit_of(answered, 'kjj-r')}/").json()
    assert kjj["breakdown"]["counts"]["duban_due"] == 0
    assert kjj["breakdown"]["process"]["duban"] is None  # nothing to count: its weight is shared out
    page = APIClient()
    page.force_login(sam)
    body = page.get(f"/evaluations/{evaluation.pk}/units/{unit_of(answered, 'jxw-r')}/").content.decode()
    assert 'id="duban-on-time"' in body and "1/2" in body


def test_without_an_app_keeping_notices_the_rate_is_the_documented_placeholder(answered):
    unregister_duban_counter()
    try:
        evaluation = evaluation_services.evaluation_start(actor=answered["sam"], plan_id=answered.plan.pk,
                                                          period="2025-Q3", today=date(2025, 10, 20))
        evaluation_services.evaluation_compute(evaluation_id=evaluation.pk)
    finally:
        register_duban_counter(duban_counts)
    client = APIClient()
    client.force_authenticate(answered["sam"])
    jxw = client.get(f"/api/evaluations/{evaluation.pk}/units/{unit_of(answered, 'jxw-r')}/").json()
    assert jxw["breakdown"]["counts"]["duban_due"] is None
    assert Decimal(jxw["breakdown"]["process"]["duban"]) == Decimal(1)
    assert any("督办回复按时率暂按 1.0 计" in reason for reason in jxw["reasons"])
