"""One error contract for every API: the register and the reporting loop answer each error with the same body,
``{"detail", "code", "errors"}`` (``errors`` on 400 only), from the one handler in the settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tasks.api.errors import exception_handler, flat_errors
from tasks.models import PlanTask, Report
from tests.conftest import make_user
from tests.factories import make_plan, make_task
from tests.support import valid_report
from units.models import Membership
from workflow import services


@dataclass
class Loop:
    """An open round of plan "ec": task 1 with one part, 市发展改革委's, in draft."""

    reporter: User
    part: Report


@pytest.fixture
def loop(db, sam) -> Loop:
    plan = make_plan("ec")
    make_task(plan, "1", responsible=("市发展改革委",))
    reporter = make_user("fgw-r", ("市发展改革委", Membership.Role.REPORTER))
    round_, _ = services.round_open(actor=sam, plan=plan, period="2025-Q3", due_date=date(2025, 10, 10))
    services.round_open_run(round_id=round_.pk)
    return Loop(reporter=reporter, part=Report.objects.get(round=round_, kind=Report.Kind.PART))


def signed_in(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


# Each case drives one error on a register endpoint and on a reporting-loop endpoint.
Case = Callable[[Any], Any]


def register_409(ctx: Any) -> Any:
    client, url = signed_in(ctx.sam), f"/api/tasks/{ctx.register.task_2.pk}/"
    read = client.get(url).json()["version"]
    client.patch(url, {"note": "先改"}, format="json")
    return client.patch(url, {"title": "后改", "version": read}, format="json")


def loop_409(ctx: Any) -> Any:
    client, url = signed_in(ctx.loop.reporter), f"/api/reports/{ctx.loop.part.pk}/submit/"
    client.post(url, valid_report(), format="json")
    return client.post(url, valid_report(), format="json")  # the second click


CASES: dict[int, tuple[str, Case, Case]] = {
    400: (
        "invalid",
        lambda ctx: signed_in(ctx.sam).post(
            "/api/tasks/", {"plan": ctx.register.plan.pk, "code": "3", "title": "新任务", "lead_unit": "nope"},
            format="json"),
        lambda ctx: signed_in(ctx.loop.reporter).patch(
            f"/api/reports/{ctx.loop.part.pk}/", {"percent_complete": "150"}, format="json"),
    ),
    401: (
        "not_authenticated",
        lambda ctx: signed_in(None).get("/api/tasks/"),
        lambda ctx: signed_in(None).get(f"/api/reports/{ctx.loop.part.pk}/"),
    ),
    403: (
        "permission_denied",
        lambda ctx: signed_in(ctx.alice).patch(f"/api/tasks/{ctx.register.task_2.pk}/", {"title": "改名"},
                                               format="json"),
        lambda ctx: signed_in(ctx.leo).post(f"/api/reports/{ctx.loop.part.pk}/submit/", {}, format="json"),
    ),
    404: (
        "not_found",
        lambda ctx: signed_in(ctx.sam).get("/api/tasks/999999/"),
        lambda ctx: signed_in(ctx.loop.reporter).get("/api/reports/999999/"),
    ),
    405: (
        "method_not_allowed",
        lambda ctx: signed_in(ctx.sam).delete(f"/api/tasks/{ctx.register.task_2.pk}/"),
        lambda ctx: signed_in(ctx.loop.reporter).delete(f"/api/reports/{ctx.loop.part.pk}/"),
    ),
    409: ("conflict", register_409, loop_409),
}
FIELD = {"register": "lead_unit", "loop": "percent_complete"}


@dataclass
class Context:
    register: Any
    loop: Loop
    sam: User
    alice: User
    leo: User


@pytest.fixture
def ctx(register, loop, sam, alice, leo) -> Context:
    return Context(register=register, loop=loop, sam=sam, alice=alice, leo=leo)


def assert_contract(body: Any, status: int, code: str) -> None:
    assert isinstance(body, dict)
    assert set(body) == ({"detail", "code", "errors"} if status == 400 else {"detail", "code"}), body
    assert isinstance(body["detail"], str) and body["detail"].strip()
    assert body["code"] == code
    if status == 400:
        assert isinstance(body["errors"], dict)
        assert all(isinstance(path, str) and messages and all(isinstance(m, str) and m for m in messages)
                   for path, messages in body["errors"].items())


@pytest.mark.parametrize("status", list(CASES))
def test_register_and_reporting_loop_answer_an_error_with_the_same_body(ctx, status) -> None:
    code, on_register, on_loop = CASES[status]
    responses = {"register": on_register(ctx), "loop": on_loop(ctx)}
    for api, response in responses.items():
        assert response.status_code == status, (api, response.content)
        assert_contract(response.json(), status, code)
        if status == 400:
            assert list(response.json()["errors"]) == [FIELD[api]], api
        if status == 401:
            assert response["WWW-Authenticate"] == "Token"
        if status == 405:
            assert "DELETE" not in response["Allow"]
    register_body, loop_body = (responses[api].json() for api in ("register", "loop"))
    assert set(register_body) == set(loop_body)
    assert register_body["code"] == loop_body["code"]
    if status == 404:
        assert register_body["detail"] == loop_body["detail"]


def test_a_404_never_says_whether_the_object_exists(ctx) -> None:
    hidden = signed_in(ctx.alice).get(f"/api/tasks/{ctx.register.draft_task.pk}/")
    missing = signed_in(ctx.alice).get("/api/tasks/999999/")
    outsider = make_user("kjj-r", ("市科技局", Membership.Role.REPORTER))
    out_of_sight = signed_in(outsider).get(f"/api/reports/{ctx.loop.part.pk}/")
    assert hidden.status_code == missing.status_code == out_of_sight.status_code == 404
    assert hidden.json() == missing.json() == out_of_sight.json()
    assert "PlanTask" not in hidden.json()["detail"] and "Report" not in out_of_sight.json()["detail"]


@pytest.mark.parametrize("url", ["/api/tasks/", "/api/rounds/"])
def test_a_body_that_is_not_json_is_a_400_without_field_errors(ctx, url) -> None:
    response = signed_in(ctx.sam).post(url, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert_contract(response.json(), 400, "parse_error")
    assert response.json()["errors"] == {}


def test_an_error_of_no_field_is_filed_under_non_field_errors(anonymous, alice) -> None:
    response = anonymous.post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert_contract(response.json(), 400, "invalid")
    assert list(response.json()["errors"]) == ["non_field_errors"]


def test_the_service_stale_message_names_both_versions(ctx) -> None:
    response = register_409(ctx)
    current = PlanTask.objects.get(pk=ctx.register.task_2.pk).version
    assert f"当前版本 {current}，你提交的是 {current - 1}" in response.json()["detail"]


@pytest.mark.parametrize(("errors", "flat"), [
    ({"percent_complete": ["太大"]}, {"percent_complete": ["太大"]}),
    (["整体有误"], {"non_field_errors": ["整体有误"]}),
    ({"non_field_errors": ["整体有误"]}, {"non_field_errors": ["整体有误"]}),
    ({"indicator_values": [{}, {"value": ["不是数"]}]}, {"indicator_values[1].value": ["不是数"]}),
    ({"interim_targets": [{"year": ["必填"], "value": ["必填"]}]},
     {"interim_targets[0].year": ["必填"], "interim_targets[0].value": ["必填"]}),
    ({"indicator_values": {"non_field_errors": ["应为列表"]}}, {"indicator_values": ["应为列表"]}),
    ({"tags": {0: ["太长"]}}, {"tags[0]": ["太长"]}),
    ({"indicator_values[0]": ["指标不属于此任务"]}, {"indicator_values[0]": ["指标不属于此任务"]}),
    ({}, {}),
])
def test_field_errors_are_flat_paths(errors, flat) -> None:
    assert flat_errors(errors) == flat


def _api_views(patterns: list[URLPattern | URLResolver]) -> Iterator[type[APIView]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
            continue
        view = getattr(pattern.callback, "cls", None)
        if isinstance(view, type) and issubclass(view, APIView):
            yield view


def test_the_setting_is_the_only_exception_handler() -> None:
    assert api_settings.EXCEPTION_HANDLER is exception_handler
    views = set(_api_views(get_resolver().url_patterns))
    assert len(views) >= 15, views  # the register, the reporting loop, the units, the token and schema views
    own_handlers = sorted(view.__qualname__ for view in views
                          if view.get_exception_handler is not APIView.get_exception_handler
                          or view.handle_exception is not APIView.handle_exception
                          or view.settings is not api_settings)
    assert own_handlers == []
