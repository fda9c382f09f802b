"""Paging the big lists: cursor links walk every row once in the register's order; numbered pages still work."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from tasks.models import Milestone, Plan, PlanTask
from tests.factories import make_milestone, make_plan, make_task


def _walk(client: APIClient, url: str, params: dict[str, str] | None = None, link: str = "next") -> list[dict]:
    """The pages met following ``link`` from ``url`` until there is none (each page's body)."""
    pages = [client.get(url, params or {}).json()]
    while pages[-1][link]:
        assert len(pages) < 50, "the links do not end"
        pages.append(client.get(pages[-1][link]).json())
    return pages


def _ids(pages: list[dict]) -> list[int]:
    return [row["id"] for page in pages for row in page["results"]]


@pytest.fixture
def big_plan(db) -> Plan:
    """Plan "big": 120 tasks "1".."120" made out of order, plus "050" which sorts level with "50"
    (same sort key: only the id decides between them), each with one milestone; the milestones'
    due dates repeat, so their order rests on (task, due date, order, code)."""
    plan = make_plan("big")
    for number in [*range(120, 60, -1), *range(1, 61)]:
        make_task(plan, str(number))
    make_task(plan, "050")
    for task in PlanTask.objects.filter(plan=plan):
        make_milestone(task, "m", date(2025, 1, 1) + timedelta(days=task.pk % 3), order=task.pk % 2)
        make_milestone(task, "a", date(2025, 1, 1) + timedelta(days=task.pk % 3), order=task.pk % 2)
    return plan


def test_walking_next_links_visits_every_task_once_in_register_order(client_for, alice, big_plan) -> None:
    pages = _walk(client_for(alice), "/api/tasks/", {"plan": "big"})
    expected = list(PlanTask.objects.filter(plan=big_plan).order_by("sort_key", "id").values_list("id", flat=True))
    assert _ids(pages) == expected
    assert [len(page["results"]) for page in pages] == [50, 50, 21]
    assert {page["count"] for page in pages} == {121}
    assert all("cursor=" in page["next"] and "plan=big" in page["next"] for page in pages[:-1])
    assert pages[0]["previous"] is None and pages[-1]["next"] is None


def test_walking_next_links_visits_every_milestone_once_in_register_order(client_for, alice, big_plan) -> None:
    pages = _walk(client_for(alice), "/api/milestones/", {"plan": "big"})
    expected = list(
        Milestone.objects.filter(task__plan=big_plan).order_by("task_id", "due_date", "order", "code")
        .values_list("id", flat=True)
    )
    assert _ids(pages) == expected
    assert [len(page["results"]) for page in pages] == [50, 50, 50, 50, 42]
    assert {page["count"] for page in pages} == {242}


@pytest.mark.parametrize("route", ["tasks", "milestones"])
def test_previous_links_walk_back_through_the_same_pages(client_for, alice, big_plan, route) -> None:
    client = client_for(alice)
    forward = _walk(client, f"/api/{route}/", {"plan": "big"})
    back = _walk(client, forward[-1]["previous"], link="previous")
    assert [page["results"] for page in back] == [page["results"] for page in reversed(forward[:-1])]
    assert back[-1]["previous"] is None
    # From the first page reached backwards, next leads on exactly as from the first page.
    assert client.get(back[-1]["next"]).json()["results"] == forward[1]["results"]


def test_a_cursor_walk_never_shows_a_draft_plan_to_a_non_supervisor(client_for, alice, sam, big_plan) -> None:
    draft = make_plan("secret", status=Plan.Status.DRAFT)
    for number in range(1, 60):
        make_milestone(make_task(draft, str(number)), "m", date(2025, 1, 1))
    assert len(_ids(_walk(client_for(alice), "/api/tasks/"))) == 121
    assert len(_ids(_walk(client_for(alice), "/api/milestones/"))) == 242
    assert len(_ids(_walk(client_for(sam), "/api/tasks/"))) == 121 + 59


def test_numbered_pages_keep_numbered_links(client_for, alice, big_plan) -> None:
    client = client_for(alice)
    second = client.get("/api/tasks/", {"plan": "big", "page": 2}).json()
    assert "page=3" in second["next"] and "cursor" not in second["next"]
    assert "page" not in second["previous"] and "cursor" not in second["previous"]  # page 1 is the bare list
    first = client.get("/api/tasks/", {"plan": "big"}).json()
    assert [row["id"] for row in second["results"]] == _ids(_walk(client, first["next"]))[:50]
    last = client.get("/api/milestones/", {"plan": "big", "page": "last"}).json()
    assert (len(last["results"]), last["next"], last["count"]) == (42, None, 242)
    assert client.get("/api/milestones/", {"plan": "big", "page": 6}).status_code == 404


def test_a_list_in_another_order_is_paged_by_number(client_for, alice, big_plan) -> None:
    client = client_for(alice)
    first = client.get("/api/tasks/", {"plan": "big", "ordering": "-id"}).json()
    assert "page=2" in first["next"] and "ordering=-id" in first["next"] and "cursor" not in first["next"]
    pages = _walk(client, "/api/tasks/", {"plan": "big", "ordering": "-id"})
    assert _ids(pages) == sorted(PlanTask.objects.filter(plan=big_plan).values_list("id", flat=True), reverse=True)


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("route", ["tasks", "milestones"])
@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _token("after"),
        _token([1, 2, 3]),
        _token({"after": [1, "00000001", 1], "before": [1, "00000001", 1]}),
        _token({"sideways": [1, "00000001", 1]}),
        _token({"after": [1, "00000001"]}),
        _token({"after": [None, "00000001", 1]}),
        _token({"after": ["one", "2025-01-01", 0, "m"]}),
        _token({"after": [1, "2025-13-45", 0, "m"]}),
        _token({"after": [2**70, "2025-01-01", 0, "m"]}),
        _token({"after": [1, "2025-01-01", -1, "m"]}),
        _token({"after": [[1], {"x": 1}, True, "m"]}),
    ],
)
def test_a_bad_cursor_is_a_400_naming_cursor(client_for, alice, big_plan, route, cursor) -> None:
    response = client_for(alice).get(f"/api/{route}/", {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize("extra", [{"page": "2"}, {"ordering": "-id"}])
def test_a_cursor_goes_with_the_default_order_and_no_page_number(client_for, alice, big_plan, extra) -> None:
    client = client_for(alice)
    cursor_link = client.get("/api/tasks/", {"plan": "big"}).json()["next"]
    cursor = cursor_link.split("cursor=")[1].split("&")[0]
    response = client.get("/api/tasks/", {"plan": "big", "cursor": cursor, **extra})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_the_schema_offers_cursor_and_page(client_for, alice) -> None:
    schema = client_for(alice).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/tasks/", "/api/milestones/"):
        names = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
        assert {"cursor", "page"} <= names


def test_an_empty_list_has_one_empty_page(client_for: Callable, alice) -> None:
    body = client_for(alice).get("/api/milestones/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}
    assert client_for(alice).get("/api/tasks/", {"page": 1}).json()["results"] == []


@pytest.mark.parametrize("params", [{}, {"page": "2"}])
def test_the_browsable_api_renders_both_kinds_of_page(client_for, alice, big_plan, params) -> None:
    response = client_for(alice).get("/api/milestones/", {"plan": "big", **params}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert ("page=3" if params else "cursor=") in response.content.decode()  # the next link
