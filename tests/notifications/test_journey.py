"""A month in the life of one milestone, day by day through the time machine: the beat's jobs run each morning at
09:00 (the reconcile once at the start, the sweep every day) and we read what each person found in their list.

The milestone is due Tuesday 30 September 2025 and nobody does it. Its reporter (alice, 市经济信息委) is reminded
7, 3 and 1 days before and on the day — calendar days, so the T-3 comes on a Saturday —, then chased with her head
(carol) on the first working day after the National Day holiday (Thursday 9 October); on the 8th working day (Friday
17 October: Saturday 11 October was worked) the head is told it has reached 督办 and the supervisor (sam) is
recommended to issue one; on the 16th (Wednesday 29 October) the leader (leo) is recommended a 约谈. Nothing else,
nothing twice, and every message is in their list the morning it is due.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from notifications import selectors
from notifications.jobs import reminders_sweep_job, watches_reconcile_job
from notifications.models import Notification
from tests.notifications.conftest import at

pytestmark = pytest.mark.django_db

LABEL = "1.1 任务 1.1 · 节点 2025"

ALICE = {
    date(2025, 9, 23): [f"【提醒】节点还有 7 天到期：{LABEL}"],
    date(2025, 9, 27): [f"【提醒】节点还有 3 天到期：{LABEL}"],
    date(2025, 9, 29): [f"【提醒】节点还有 1 天到期：{LABEL}"],
    date(2025, 9, 30): [f"【提醒】节点今天到期：{LABEL}"],
    date(2025, 10, 9): [f"【催办】节点已逾期 1 个工作日：{LABEL}"],
}
CAROL = {
    date(2025, 10, 9): [f"【催办】节点已逾期 1 个工作日：{LABEL}"],
    date(2025, 10, 17): [f"【建议督办】节点已逾期 8 个工作日：{LABEL}"],
}
SAM = {date(2025, 10, 17): [f"【建议督办】节点已逾期 8 个工作日：{LABEL}"]}
LEO = {date(2025, 10, 29): [f"【建议约谈】节点已逾期 16 个工作日：{LABEL}"]}


def test_a_milestone_over_a_month_what_each_person_receives_each_day(world, time_machine):
    people = {"alice": world["jxw-r"], "carol": world["jxw-h"], "sam": world["sam"], "leo": world["leo"],
              "bob": world["fgw-r"], "dave": world["fgw-h"]}
    seen = {name: 0 for name in people}
    got: dict[str, dict[date, list[str]]] = {name: {} for name in people}
    day = date(2025, 9, 20)
    time_machine.move_to(at("2025-09-20 09:00"), tick=False)
    watches_reconcile_job.delay().get()
    while day <= date(2025, 10, 31):
        time_machine.move_to(at(f"{day.isoformat()} 09:00"), tick=False)
        reminders_sweep_job.delay().get()
        for name, user in people.items():
            mine = list(selectors.notification_list(user=user).order_by("created_at", "pk"))
            new = mine[seen[name]:]
            seen[name] = len(mine)
            if new:
                got[name][day] = [message.title for message in new]
        day += timedelta(days=1)
    assert got["alice"] == ALICE
    assert got["carol"] == CAROL
    assert got["sam"] == SAM
    assert got["leo"] == LEO
    assert got["bob"] == got["dave"] == {}  # 市发展改革委 has a part of the task, not this milestone
    assert Notification.objects.count() == 9 and selectors.unread_count(user=world["jxw-r"]) == 5
