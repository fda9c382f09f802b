"""What a client written against the API needs (issue 7, item 19): who am I (``/api/me/``), the approved values of
an indicator, history events with integer ids and the actor's own unit, the approval's trail in cause-then-effect
order, an upload that answers with the report's new version, and 405 for PUT and DELETE on every route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tasks.api.pagination import RegisterPagination
from tasks.models import Report, ReportingRound
from tests.conftest import make_user
from tests.workflow.api.conftest import PDF_BYTES, upload
from tests.workflow.conftest import World, fill_and_sign
from units.models import Membership, Unit
from workflow import services


def _unit(short_name: str) -> dict:
    unit = Unit.objects.get(short_name=short_name)
    return {"id": unit.pk, "code": unit.code, "short_name": unit.short_name, "name": unit.name}


def approve_round(
    world: World, period: str = "2025-Q3", due: date = date(2025, 10, 10), value: str = "12.5"
) -> tuple[ReportingRound, Report]:
    """A round of the world driven to approval, unit A giving ``value`` for indicator I1; returns the round and
    its (approved) task report."""
    round_ = world.open_round(period, due)
    fill_and_sign(
        world,
        round_,
        "fgw",
        percent_complete="40",
        indicator_values=[{"indicator": world.indicator.pk, "value": value}],
    )
    fill_and_sign(world, round_, "kjj", percent_complete="60")
    task_report = world.task_report(round_)
    services.report_submit(
        actor=world["jxw-r"],
        report_id=task_report.pk,
        content=services.report_content({"narrative": "汇总进展", "percent_complete": Decimal("40")}),
    )
    services.report_sign_off(actor=world["jxw-h"], report_id=task_report.pk)
    services.report_approve(actor=world["sam"], report_id=task_report.pk)
    return round_, task_report


# --- GET /api/me/ ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "units", "flags", "steps"),
    [
        ("fgw-r", [("市发展改革委", ["reporter"])], (False, False, False, False), ["fill", "consolidate"]),
        (
            "fgw-h",
            [("市发展改革委", ["head"])],
            (False, False, False, False),
            ["sign_off", "consolidate", "lead_sign_off"],
        ),
        ("sam", [("市政府办公厅", ["supervisor"])], (True, False, True, True), ["review"]),
        ("leo", [("市政府办公厅", ["leader"])], (False, True, False, False), []),
    ],
)
def test_me_says_who_the_user_is_and_what_they_may_do(world, client_of, persona, units, flags, steps):
    body = client_of(persona).get("/api/me/").json()
    user = world[persona]
    assert body["user"] == {"id": user.pk, "username": user.username, "name": user.get_full_name() or user.username}
    assert body["units"] == [{"unit": _unit(name), "roles": roles} for name, roles in units]
    assert (body["is_supervisor"], body["is_leader"], body["can_open_rounds"], body["can_edit_register"]) == flags
    assert body["steps"] == steps


def test_me_lists_every_unit_and_role_and_agrees_with_the_services(world, client_of):
    both = make_user(
        "both",
        ("市科技局", Membership.Role.REPORTER),
        ("市发展改革委", Membership.Role.REPORTER),
        ("市发展改革委", Membership.Role.HEAD),
    )
    client = APIClient()
    client.force_login(both)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/me/").json()
    units = sorted(
        [("市发展改革委", ["head", "reporter"]), ("市科技局", ["reporter"])],
        key=lambda row: Unit.objects.get(short_name=row[0]).order,
    )
    assert body["units"] == [{"unit": _unit(name), "roles": roles} for name, roles in units]
    assert len(queries) <= 4  # session, user, scope, memberships
    # What /api/me/ says a user may do is what the services then accept.
    for persona in ("fgw-r", "sam"):
        may = client_of(persona).get("/api/me/").json()["can_open_rounds"]
        response = client_of(persona).post(
            "/api/rounds/", {"plan": "wf", "period": "2025-Q4", "due_date": "2026-01-10"}, format="json"
        )
        assert response.status_code == (202 if may else 403), persona


# --- approved indicator values ----------------------------------------------------------------------------------


def test_an_indicators_values_come_only_from_approved_reports(world, client_of):
    url = f"/api/indicators/{world.indicator.pk}/values/"
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw", indicator_values=[{"indicator": world.indicator.pk, "value": "9"}])
    assert client_of("leo").get(url).json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client_of("leo").get(f"/api/indicators/{world.indicator.pk}/").json()["latest_value"] is None


def test_approved_values_are_readable_by_round_and_the_latest_is_on_the_indicator(world, client_of, monkeypatch):
    first, first_report = approve_round(world, value="12.5")
    second, second_report = approve_round(world, "2025-Q4", date(2026, 1, 10), value="14")
    url = f"/api/indicators/{world.indicator.pk}/values/"
    for persona in ("fgw-r", "kjj-r", "sam", "leo"):  # everyone who reads the indicator
        body = client_of(persona).get(url).json()
        assert [(row["round"]["period"], row["value"], row["report"]) for row in body["results"]] == [
            ("2025-Q3", "12.5000", first_report.pk),
            ("2025-Q4", "14.0000", second_report.pk),
        ], persona
    assert body["results"][0]["round"] == {
        "id": first.pk,
        "period": "2025-Q3",
        "period_start": "2025-07-01",
        "period_end": "2025-09-30",
    }
    latest = client_of("fgw-r").get(f"/api/indicators/{world.indicator.pk}/").json()["latest_value"]
    assert (latest["round"]["id"], latest["value"], latest["report"]) == (second.pk, "14.0000", second_report.pk)
    # Paged by the register's cursor: a walk along ``next`` shows each value once.
    monkeypatch.setattr(RegisterPagination, "page_size", 1)
    page = client_of("fgw-r").get(url).json()
    assert page["count"] == 2 and "cursor=" in page["next"] and page["previous"] is None
    following = client_of("fgw-r").get(page["next"]).json()
    assert [row["round"]["period"] for row in page["results"] + following["results"]] == ["2025-Q3", "2025-Q4"]
    assert following["next"] is None
    assert client_of("fgw-r").get(url + "?cursor=nonsense").status_code == 400


def test_the_values_of_an_indicator_one_may_not_read_are_404(world, client_of):
    world.plan.status = "draft"
    world.plan.save(update_fields=["status"])
    url = f"/api/indicators/{world.indicator.pk}/values/"
    assert client_of("fgw-r").get(url).status_code == 404
    assert client_of("fgw-r").get("/api/indicators/999999/values/").status_code == 404
    assert client_of("fgw-r").get("/api/indicators/abc/values/").status_code == 404
    assert client_of("sam").get(url).status_code == 200  # supervisors read draft plans


def test_the_values_list_costs_the_same_queries_for_one_value_and_for_two(world, client_of):
    approve_round(world)
    client = client_of("fgw-r")
    url = f"/api/indicators/{world.indicator.pk}/values/"

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    approve_round(world, "2025-Q4", date(2026, 1, 10))
    assert count() == one


# --- history and the approval's trail ---------------------------------------------------------------------------


def test_history_ids_are_integers_and_each_event_names_the_actors_own_unit(world, client_of):
    round_ = world.open_round()
    fill_and_sign(world, round_, "fgw")
    fill_and_sign(world, round_, "kjj")
    services.report_return(actor=world["jxw-r"], report_id=world.part(round_, "市科技局").pk, reason="缺少佐证")
    events = client_of("sam").get(f"/api/tasks/{world.task.pk}/history/").json()["results"]
    assert all(isinstance(event["id"], int) and isinstance(event["object"]["id"], int) for event in events)
    returned = next(event for event in events if event["action"] == "report.return_by_lead")
    # The lead unit's reporter returned 市科技局's part: the event is about 市科技局, the actor acted for the lead unit.
    assert returned["unit"] == _unit("市科技局") and returned["actor_unit"] == _unit("市经济信息委")
    assert returned["object"] == {"type": "report", "id": world.part(round_, "市科技局").pk}
    signed = next(
        event
        for event in events
        if event["action"] == "report.sign_off" and event["unit"]["short_name"] == "市发展改革委"
    )
    assert signed["actor_unit"] == _unit("市发展改革委")


def test_approval_is_followed_by_what_it_applied_both_by_the_approver(world, client_of):
    _round, task_report = approve_round(world)
    events = client_of("sam").get(f"/api/tasks/{world.task.pk}/history/").json()["results"]
    newest = [
        (event["action"], event["actor"]["username"], event["actor_unit"]["short_name"], event["unit"]["id"])
        for event in events[:2]
    ]
    lead = Unit.objects.get(short_name="市经济信息委").pk
    assert newest == [("report.apply", "sam", "市政府办公厅", lead), ("report.approve", "sam", "市政府办公厅", lead)]
    assert events[0]["object"] == events[1]["object"] == {"type": "report", "id": task_report.pk}
    assert events[0]["id"] > events[1]["id"]


# --- uploads -----------------------------------------------------------------------------------------------------


def test_an_upload_answers_with_the_reports_new_version(world, client_of, media_root):
    round_ = world.open_round()
    part = world.part(round_, "市发展改革委")
    client = client_of("fgw-r")
    before = client.get(f"/api/reports/{part.pk}/").json()["version"]
    response = client.post(
        f"/api/reports/{part.pk}/attachments/", {"file": upload("证据.pdf", PDF_BYTES)}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["report_version"] == before + 1 == client.get(f"/api/reports/{part.pk}/").json()["version"]
    # The version the upload gave is the one the next write sends.
    saved = client.patch(f"/api/reports/{part.pk}/", {"narrative": "附件已上传", "version": before + 1}, format="json")
    assert saved.status_code == 200, saved.content[:300]


# --- PUT and DELETE ----------------------------------------------------------------------------------------------

#: Routes that offer PUT or DELETE, as docs/api.md lists them.
OFFERED: set[tuple[str, str]] = {
    ("delete", "/api/auth/token/"),  # revoking one's token (accounts)
    ("put", "/api/notification-preferences/"),  # replacing one's own notification settings (notifications)
}


def api_routes() -> Iterator[str]:
    """Every routed path under /api/, with ids filled in (1)."""

    def walk(patterns: list, prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    for route in walk(get_resolver().url_patterns, "/"):
        if route.startswith("/api/"):
            yield re.sub(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)", "1", route)


def test_the_route_walk_finds_every_api(world) -> None:
    routes = set(api_routes())
    assert {
        "/api/me/",
        "/api/indicators/1/values/",
        "/api/reports/1/attachments/1/",
        "/api/tasks/1/",
        "/api/units/",
        "/api/auth/token/",
        "/api/schema/",
    } <= routes


@pytest.mark.parametrize("persona", ["sam", "jxw-r", "leo"])
def test_put_and_delete_answer_405_for_every_signed_in_user_on_every_route(world, client_of, persona):
    world.open_round()
    client = client_of(persona)
    answers = {}
    for route in sorted(set(api_routes())):
        for method in ("put", "delete"):
            if (method, route) in OFFERED:
                continue
            response = getattr(client, method)(route, {}, format="json")
            answers[(method, route)] = response.status_code
            if response.status_code == 405:
                assert method.upper() not in response["Allow"], route
    assert {key: code for key, code in answers.items() if code != 405} == {}


def test_anonymous_put_and_delete_are_told_to_authenticate_first(world) -> None:
    anonymous = APIClient()
    for route in ("/api/tasks/1/", "/api/reports/1/", "/api/me/", "/api/indicators/1/values/"):
        for method in ("put", "delete"):
            response = getattr(anonymous, method)(route, {}, format="json")
            assert response.status_code == 401, (method, route)
