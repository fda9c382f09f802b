"""The number of queries of a list request does not grow with the rows on the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tasks.models import Plan
from tests.factories import make_indicator, make_milestone, make_plan, make_task
from units.models import Unit

RESPONSIBLE = ("市发展改革委", "市科技局", "渝北区")
LEADS = ("市经济信息委", "市科技局", "市发展改革委")
# Session, user, scope, count, rows, one prefetch: the budget of any list page.
MAX_LIST_QUERIES = 6


def _plan_with(rows: int, code: str) -> Plan:
    """A plan with *rows* tasks (a top task and its children, each child with a lead and three responsible
    units), *rows* indicators (interim targets) and *rows* milestones (every other one with an owner)."""
    plan = make_plan(code)
    top = make_task(plan, "0")
    make_indicator(top, "I0", interim={2024: "11"})
    make_milestone(top, "m", date(2024, 1, 1))
    owner = Unit.objects.get(code="kjj")
    for number in range(1, rows):
        task = make_task(plan, f"0.{number}", parent=top, lead=LEADS[number % 3], responsible=RESPONSIBLE)
        make_indicator(task, f"I{number}", interim={2024: "11", 2025: "12"})
        make_milestone(task, "m", date(2024, 1, 1) + timedelta(days=number), owner_unit=owner if number % 2 else None)
    return plan


def _measure(client: APIClient, url: str, params: dict[str, str]) -> tuple[int, int]:
    """(queries, rows) of one list request."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), len(response.json()["results"])


@pytest.fixture
def small_and_large(db) -> None:
    _plan_with(5, "small")
    _plan_with(50, "large")


@pytest.mark.parametrize("url", ["/api/tasks/", "/api/indicators/", "/api/milestones/"])
def test_register_list_takes_as_many_queries_for_50_rows_as_for_5(
    client_for: Callable, alice, small_and_large, url: str
) -> None:
    client = client_for(alice)
    small = _measure(client, url, {"plan": "small"})
    large = _measure(client, url, {"plan": "large"})
    assert (small[1], large[1]) == (5, 50)
    assert small[0] == large[0] <= MAX_LIST_QUERIES


@pytest.mark.parametrize(
    ("url", "filters"),
    [
        ("/api/tasks/", {"unit": "fgw", "role": "responsible", "leaf": "true", "q": "任务", "due_before": "2030-1-1"}),
        ("/api/tasks/", {"unit": "kjj", "role": "any", "kind": "qualitative", "parent": "", "ordering": "-due_date"}),
        ("/api/indicators/", {"unit": "kjj"}),
        ("/api/milestones/", {"unit": "jxw", "overdue": "true", "due_after": "2020-01-01", "status": "pending"}),
    ],
)
def test_filters_add_no_queries_per_row(
    client_for: Callable, alice, small_and_large, url: str, filters: dict[str, str]
) -> None:
    client = client_for(alice)
    small = _measure(client, url, {"plan": "small", **filters})
    large = _measure(client, url, {"plan": "large", **filters})
    assert 0 < small[1] < large[1]
    assert small[0] == large[0] <= MAX_LIST_QUERIES


def test_plan_list_takes_as_many_queries_for_50_rows_as_for_5(client_for: Callable, alice) -> None:
    for number in range(5):
        make_plan(f"closed-{number}", status=Plan.Status.CLOSED)
    for number in range(50):
        make_plan(f"active-{number}")
    client = client_for(alice)
    small = _measure(client, "/api/plans/", {"status": "closed"})
    large = _measure(client, "/api/plans/", {"status": "active"})
    assert (small[1], large[1]) == (5, 50)
    assert small[0] == large[0] <= MAX_LIST_QUERIES


def test_unit_list_takes_as_many_queries_for_50_rows_as_for_3(client_for: Callable, alice) -> None:
    client = client_for(alice)
    small = _measure(client, "/api/units/", {"track": "zones"})
    large = _measure(client, "/api/units/", {})
    assert (small[1], large[1]) == (3, 50)
    assert small[0] == large[0] <= MAX_LIST_QUERIES


def test_unit_name_search_costs_one_query_whatever_it_finds(client_for: Callable, alice) -> None:
    client = client_for(alice)
    one = _measure(client, "/api/units/", {"q": "两江"})
    many = _measure(client, "/api/units/", {"q": "区"})
    plain = _measure(client, "/api/units/", {})
    assert one[1] == 1
    assert many[1] > 20
    assert one[0] == many[0] == plain[0] + 1


@pytest.mark.parametrize("url", ["/api/tasks/", "/api/milestones/"])
def test_a_deep_page_takes_as_many_queries_as_the_first(client_for: Callable, alice, url: str) -> None:
    _plan_with(160, "deep")
    client = client_for(alice)
    first = _measure(client, url, {"plan": "deep"})
    cursor = client.get(url, {"plan": "deep"}).json()["next"]
    for _ in range(2):
        cursor = client.get(cursor).json()["next"]
    by_cursor = _measure(client, cursor, {})
    by_number = _measure(client, url, {"plan": "deep", "page": "4"})
    filtered = _measure(client, url, {"plan": "deep", "unit": "kjj", "page": "2"})
    assert (first[1], by_cursor[1], by_number[1]) == (50, 10, 10)
    assert filtered[1] > 0
    assert first[0] == by_cursor[0] == by_number[0] == filtered[0] <= MAX_LIST_QUERIES
