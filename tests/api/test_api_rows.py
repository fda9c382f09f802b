"""The lists' lean rows (tasks/api/rows.py) are exactly what the output serializers render.

The detail route renders one object through the serializer from model instances; the list renders
the same object from ``.values()`` columns. Every row of a list must equal the object's detail,
field for field — over a register that exercises every branch: no parent or a parent, no lead unit,
responsible units listed out of creation order, dates set and unset, major and normal, done, moved
and unmoved milestones, target values, owners, overdue on either side of midnight in Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tasks.models import Milestone, PlanTask, TaskUnit
from tests.factories import make_milestone, make_plan, make_task
from units.models import Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def varied_register(register) -> None:
    """The API register (tests/api/conftest.py) plus a plan whose rows take every other branch."""
    plan = make_plan("varied", title="各种情形", title_en="Every case", units_illustrative=True)
    top = make_task(
        plan, "1", lead=None, title_en="Top", start_date=date(2024, 1, 1), due_date=None, due_text="持续推进",
        note="备注", importance=PlanTask.Importance.MAJOR,
    )
    done = make_task(
        plan, "1.10", parent=top, responsible=("渝北区", "市科技局", "市发展改革委"), kind=PlanTask.Kind.QUALITATIVE,
        status=PlanTask.Status.DONE, completed_date=date(2024, 12, 1), units_illustrative=True,
    )
    # Listed order is the link's ``order``, not the order the links were made in.
    TaskUnit.objects.filter(task=done, unit__short_name="渝北区").update(order=9)
    make_task(plan, "1.2", parent=top, lead="渝北区", responsible=("市经济信息委",))
    make_milestone(done, "moved", date(2025, 1, 14), original_due_date=date(2024, 12, 31), target_value=Decimal("3.5"))
    make_milestone(done, "same", date(2025, 1, 15), original_due_date=date(2025, 1, 15), order=2,
                   owner_unit=Unit.objects.get(short_name="渝北区"))
    make_milestone(
        top, "done", date(2024, 6, 30), weight="12.34", status=Milestone.Status.DONE, completed_date=date(2024, 7, 1)
    )


@pytest.mark.parametrize("route", ["tasks", "milestones"])
@pytest.mark.parametrize(
    "now",
    [datetime(2025, 1, 15, 0, 30, tzinfo=SHANGHAI), datetime(2025, 1, 14, 23, 30, tzinfo=SHANGHAI)],
    ids=["just-after-midnight", "just-before-midnight"],
)
def test_every_list_row_equals_the_detail_the_serializer_renders(
    client_for, sam, varied_register, time_machine, route, now
) -> None:
    time_machine.move_to(now, tick=False)
    client = client_for(sam)
    rows = client.get(f"/api/{route}/").json()["results"]
    assert len(rows) == {"tasks": 8, "milestones": 7}[route]  # the draft plan's rows too: sam is a supervisor
    for row in rows:
        assert row == client.get(f"/api/{route}/{row['id']}/").json()


def test_overdue_in_the_list_follows_the_shanghai_date(client_for, alice, varied_register, time_machine) -> None:
    client = client_for(alice)

    def overdue() -> dict[str, bool]:
        rows = client.get("/api/milestones/", {"plan": "varied"}).json()["results"]
        return {row["code"]: row["overdue"] for row in rows}

    time_machine.move_to(datetime(2025, 1, 15, 0, 30, tzinfo=SHANGHAI), tick=False)
    assert overdue() == {"moved": True, "same": False, "done": False}
    time_machine.move_to(datetime(2025, 1, 14, 23, 30, tzinfo=SHANGHAI), tick=False)
    assert overdue() == {"moved": False, "same": False, "done": False}
