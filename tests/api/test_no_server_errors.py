"""Nothing a client can type is a 500, on SQLite and PostgreSQL (issue 7, item 6). The routes and the filters are
enumerated from the URL patterns and the filter sets, so a new route or filter is covered without a new test:

- every routed path with an id, given an id beyond 64 bits (SQLite refuses it as a parameter): a 404;
- every path with a code, given a NUL (PostgreSQL refuses it in text): a 404;
- every filter of every API list, given ``²``/``¹¹`` (``isdigit()`` but not ``int()``), an id beyond 64 bits, a
  NUL, ``NaN``: a 200 or a 400 naming that filter;
- the pages' query parameters likewise; and every error under /api/ is the JSON contract, a 500 included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path
from rest_framework.test import APIClient

from tests.conftest import make_persona

HUGE = ("9223372036854775808", "99999999999999999999999")
ODD = ("²", "¹¹", "99999999999999999999999", "\x00", "a\x00b", "NaN", "1e30", "-1")


def _routes(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route, pattern


def _concrete(route: str, value_of: dict[str, str]) -> str | None:
    """The route with each parameter given; None for regex routes we cannot fill (the admin's, the router's
    format suffixes)."""
    if route.startswith(("admin/", "^")) or "(?P" in route or "\\." in route:
        return None
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: value_of.get(m.group(1) or "str", "x"), route)


ROUTES = sorted({route for route, _ in _routes(get_resolver().url_patterns)})
ID_ROUTES = [route for route in ROUTES if re.search(r"<(int|id):", route) and _concrete(route, {}) is not None]
CODE_ROUTES = [
    route for route in ROUTES if re.search(r"<(slug|str|taskcode|path):", route) and _concrete(route, {}) is not None
]


def test_the_routes_are_found():
    assert len(ID_ROUTES) >= 10 and any(r.startswith("api/reports/") for r in ID_ROUTES)
    assert any(r.startswith("reports/") for r in ID_ROUTES) and CODE_ROUTES


@pytest.fixture
def sam_client(db) -> Client:
    client = Client()
    client.force_login(make_persona("sam"))
    return client


@pytest.mark.parametrize("route", ID_ROUTES)
@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_id_beyond_64_bits_in_any_path_is_not_found(sam_client, route, value, method):
    url = _concrete(route, {"int": value, "id": value})
    response = getattr(sam_client, method)(url)
    assert response.status_code in (404, 405), (url, response.status_code, response.content[:300])
    if url.startswith("/api/"):
        assert response["Content-Type"].startswith("application/json"), url
        assert response.json()["code"] in ("not_found", "method_not_allowed")


@pytest.mark.parametrize("route", CODE_ROUTES)
def test_a_nul_in_a_code_of_any_path_is_not_found(sam_client, route):
    url = _concrete(route, {"slug": "%00", "str": "%00", "taskcode": "1.%00", "path": "%00", "int": "1", "id": "1"})
    response = sam_client.get(url)
    assert response.status_code == 404, (url, response.content[:300])


def _list_filters() -> Iterator[tuple[str, str]]:
    """(list URL, filter name) of every API list with a filter set."""
    for route, pattern in _routes(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        filterset = getattr(view, "filterset_class", None)
        if route.startswith("api/") and filterset is not None and "<" not in route and "(?P" not in route:
            for name in filterset.base_filters:
                yield "/" + re.sub(r"[\^$]", "", route), name


LIST_FILTERS = sorted(set(_list_filters()))


def test_the_filters_are_found():
    names = {(url, name) for url, name in LIST_FILTERS}
    assert ("/api/reports/", "round") in names and ("/api/tasks/", "plan") in names
    assert ("/api/milestones/", "unit") in names and len(names) > 20


@pytest.mark.parametrize(("url", "name"), LIST_FILTERS)
def test_no_value_of_any_filter_is_a_server_error(sam_client, url, name):
    for value in ODD:
        response = sam_client.get(url, {name: value})
        assert response.status_code in (200, 400), (url, name, value, response.content[:300])
        if response.status_code == 400:
            assert list(response.json()["errors"]) == [name], (url, name, value)


@pytest.mark.parametrize("url", ["/search/", "/inbox/", "/rounds/", "/units/", "/", "/escalations/", "/notices/"])
@pytest.mark.parametrize("value", ODD)
def test_no_query_parameter_of_a_page_is_a_server_error(sam_client, url, value):
    params = {name: value for name in ("q", "step", "page", "sort", "unit", "kind", "status", "importance")}
    response = sam_client.get(url, params)
    assert response.status_code in (200, 400), (url, value, response.content[:300])


def test_no_filter_of_the_plan_page_is_a_server_error(sam_client):
    from tests.factories import make_plan

    make_plan("np")
    for value in ODD:
        params = {name: value for name in ("q", "unit", "kind", "status", "importance", "due", "track")}
        response = sam_client.get("/plans/np/", params)
        assert response.status_code in (200, 400), (value, response.content[:300])


# --- the API answers JSON for what no view answered -----------------------------------------------


def test_an_unknown_api_path_is_the_json_404(sam_client):
    response = sam_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "对象不存在，或不在你的查看范围内。", "code": "not_found"}


def test_an_unknown_page_is_still_the_html_page(sam_client):
    response = sam_client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/boom/", _boom), path("boom/", _boom)]


@pytest.mark.urls(__name__)
def test_a_bug_under_api_is_the_json_500(db):
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "server_error" and body["detail"]


@pytest.mark.urls(__name__)
def test_a_bug_on_a_page_is_the_honest_500_page(db):
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器内部错误" in html
    assert "邮件" not in html and "email" not in html.lower() and "e-mail" not in html.lower()


handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
